using Ledger.FraudPipeline.Features;
using Ledger.FraudPipeline.Scoring;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Fraud;

public class batch_write_hosts : FraudHosts
{
}

/// <summary>The consumer's set-based batch write keeps optimistic concurrency on feature documents: written over a
/// version another process changed, or inserted where another process already did, the whole batch is refused.</summary>
public class writing_a_scored_batch(batch_write_hosts hosts) : IClassFixture<batch_write_hosts>
{
    [Fact]
    public async Task a_feature_document_changed_since_it_was_read_refuses_the_whole_batch()
    {
        var store = hosts.Fraud.Services.GetRequiredService<IDocumentStore>();
        var writes = new FraudWrites(store);
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        var id = "acc_" + Guid.NewGuid().ToString("N");
        await writes.CommitAsync(connection, [(new AccountFeatures { Id = id, OpenedAt = DateTimeOffset.UtcNow }, null)], [], [], [Guid.NewGuid()], CancellationToken.None);

        var read = (await writes.LoadFeaturesAsync(connection, [id], CancellationToken.None))[id];
        // Another pipeline process writes the document meanwhile.
        await writes.CommitAsync(connection, [(read.Doc, read.Version)], [], [], [Guid.NewGuid()], CancellationToken.None);

        var stale = read.Doc;
        stale.Payees.Add("acc_stale");
        var processed = Guid.NewGuid();
        var refused = () => writes.CommitAsync(connection, [(stale, read.Version), (new AccountFeatures { Id = id }, null)], [], [], [processed], CancellationToken.None);
        await refused.Should().ThrowAsync<JasperFx.ConcurrencyException>();

        var now = (await writes.LoadFeaturesAsync(connection, [id], CancellationToken.None))[id];
        now.Doc.Payees.Should().NotContain("acc_stale");
        await using var check = new Npgsql.NpgsqlCommand($"select count(*) from {FraudProcessor.ProcessedTable} where event_id = $1", connection);
        check.Parameters.Add(new Npgsql.NpgsqlParameter { Value = processed });
        ((long)(await check.ExecuteScalarAsync())!).Should().Be(0, "nothing of a refused batch is written");

        // A document inserted by someone else first: the insert is refused too.
        var inserted = () => writes.CommitAsync(connection, [(new AccountFeatures { Id = id }, null)], [], [], [Guid.NewGuid()], CancellationToken.None);
        await inserted.Should().ThrowAsync<JasperFx.ConcurrencyException>();
    }
}
