using Ledger.FraudPipeline.Features;
using Ledger.FraudPipeline.Scoring;
using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Fraud;

public class batch_write_hosts : FraudHosts
{
}

/// <summary>The consumer's set-based batch write keeps optimistic concurrency on feature documents: written over a
/// version another process changed, or inserted where another process already did, the whole batch is refused. The
/// processor's cache of the documents it last wrote stays correct when another process writes them too.</summary>
public class writing_a_scored_batch(batch_write_hosts hosts) : IClassFixture<batch_write_hosts>
{
    private IDocumentStore Store => hosts.Fraud.Services.GetRequiredService<IDocumentStore>();

    private async Task<Npgsql.NpgsqlConnection> OpenAsync()
    {
        var connection = Store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        return connection;
    }

    [Fact]
    public async Task a_feature_document_changed_since_it_was_read_refuses_the_whole_batch()
    {
        var writes = new FraudWrites(Store);
        await using var connection = await OpenAsync();
        var id = "acc_" + Guid.NewGuid().ToString("N");
        await writes.CommitAsync(connection, [(new AccountFeatures { Id = id, OpenedAt = DateTimeOffset.UtcNow }, null)], [], [], [Guid.NewGuid()], CancellationToken.None);

        var read = (await writes.LoadFeaturesAsync(connection, [id], CancellationToken.None))[id];
        // Another pipeline process writes the document meanwhile.
        await writes.CommitAsync(connection, [(read.Doc, read.Version)], [], [], [Guid.NewGuid()], CancellationToken.None);

        var stale = read.Doc;
        stale.PaidTo.Seen("acc_stale", DateTimeOffset.UtcNow, Ledger.FraudPipeline.Features.FeatureExtractor.MaxKnownPayees);
        var processed = Guid.NewGuid();
        var refused = () => writes.CommitAsync(connection, [(stale, read.Version), (new AccountFeatures { Id = id }, null)], [], [], [processed], CancellationToken.None);
        await refused.Should().ThrowAsync<JasperFx.ConcurrencyException>();

        var now = (await writes.LoadFeaturesAsync(connection, [id], CancellationToken.None))[id];
        now.Doc.PaidTo.Contains("acc_stale").Should().BeFalse();
        await using var check = new Npgsql.NpgsqlCommand($"select count(*) from {FraudProcessor.ProcessedTable} where event_id = $1", connection);
        check.Parameters.Add(new Npgsql.NpgsqlParameter { Value = processed });
        ((long)(await check.ExecuteScalarAsync())!).Should().Be(0, "nothing of a refused batch is written");

        // A document inserted by someone else first: the insert is refused too.
        var inserted = () => writes.CommitAsync(connection, [(new AccountFeatures { Id = id }, null)], [], [], [Guid.NewGuid()], CancellationToken.None);
        await inserted.Should().ThrowAsync<JasperFx.ConcurrencyException>();
    }

    /// <summary>The consumer's first read and its write run on kept generic plans (PlanSettings), and they — like the
    /// bridge's read — reach stored rows by index only, whatever the tables' statistics were when they were made.</summary>
    [Fact]
    public async Task the_read_and_the_write_run_on_kept_plans_that_reach_stored_rows_by_index_only()
    {
        var writes = new FraudWrites(Store);
        // One connection, so the statements Npgsql prepares (from their second use) are this session's to inspect.
        await using var connection = await OpenAsync();
        var doc = new AccountFeatures { Id = "acc_" + Guid.NewGuid().ToString("N"), OpenedAt = DateTimeOffset.UtcNow };
        var version = (await writes.CommitAsync(connection, [(doc, null)], [], [], [Guid.NewGuid()], CancellationToken.None))[doc.Id];
        for (var i = 0; i < 3; i++)
        {
            version = (await writes.CommitAsync(connection, [(doc, version)], [], [], [Guid.NewGuid()], CancellationToken.None))[doc.Id];
            var (processed, payments) = await writes.ReadBatchAsync(connection, [Guid.NewGuid()], ["pay_" + Guid.NewGuid().ToString("N")], CancellationToken.None);
            (processed.Count, payments.Count).Should().Be((0, 0), "neither the event nor the payment exists");
        }

        var prepared = await Ledger.Testing.GenericPlans.PreparedAsync(connection);
        prepared.Select(p => p.Statement).Should().Contain(FraudWrites.ProcessedSql).And.Contain(writes.PaymentsSql)
            .And.Contain(s => s.StartsWith("update ledger.mt_doc_accountfeatures"))
            .And.Contain(s => s.StartsWith("insert into ledger.mt_doc_accountfeatures"))
            .And.Contain(s => s.StartsWith("insert into ledger.mt_doc_fraudanalysis"))
            .And.Contain(s => s.StartsWith("insert into ledger.mt_doc_fraudalert"))
            .And.Contain(s => s.StartsWith("insert into ledger.fraud_processed_events"));
        prepared.Should().OnlyContain(p => p.Custom == 0 && p.Generic > 0, "each statement of the write is run on its kept generic plan, never planned again");
        foreach (var sql in prepared.Select(p => p.Statement).Append(Ledger.FraudPipeline.Kafka.KafkaBridge.PageSql(Ledger.Projections.Store.LedgerStore.Schema)))
        {
            var plan = await Ledger.Testing.GenericPlans.ExplainAsync(connection, Ledger.Projections.Store.PlanSettings.GenericIndexPlans, sql);
            plan.Should().NotContainAny(["Seq Scan", "Hash", "Merge Join", "Materialize"], $"the kept plan must not read or hash whole tables:\n{sql}\n{plan}");
        }
    }

    [Fact]
    public async Task a_cached_feature_document_another_process_changed_is_read_again_and_no_payment_is_lost()
    {
        var store = hosts.Fraud.Services.GetRequiredService<IDocumentStore>();
        FraudProcessor Process() => new(store, hosts.Fraud.Services.GetRequiredService<ScoringParts>(), hosts.Fraud.Services.GetRequiredService<DecisionPolicy>(),
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<FraudProcessor>.Instance);
        var (a, b) = (Process(), Process()); // two pipeline processes
        var payer = "acc_" + Guid.NewGuid().ToString("N");
        var payees = Enumerable.Range(0, 3).Select(_ => "acc_" + Guid.NewGuid().ToString("N")).ToArray();
        var reserved = await ReservedPaymentsAsync(store, payer, payees);

        await a.ProcessAsync([reserved[0]], CancellationToken.None); // a now holds the payer's document in its cache
        await b.ProcessAsync([reserved[1]], CancellationToken.None); // b changes it behind a's back
        await a.ProcessAsync([reserved[2]], CancellationToken.None); // a's cached version is stale: refused, then redone from the store

        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        var features = (await new FraudWrites(store).LoadFeaturesAsync(connection, [payer], CancellationToken.None))[payer].Doc;
        features.SentPanes.Count(DateTimeOffset.UtcNow, TimeSpan.FromHours(1)).Should().Be(3, "every payment is counted once, none overwritten");
        (features.PaidTo.Count, payees.All(features.PaidTo.Contains)).Should().Be((3, true));
    }

    [Fact]
    public async Task a_batch_prepared_on_one_whose_commit_fails_fails_too_and_redone_they_lose_nothing()
    {
        var store = hosts.Fraud.Services.GetRequiredService<IDocumentStore>();
        FraudProcessor Process() => new(store, hosts.Fraud.Services.GetRequiredService<ScoringParts>(), hosts.Fraud.Services.GetRequiredService<DecisionPolicy>(),
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<FraudProcessor>.Instance);
        var (a, b) = (Process(), Process());
        var payer = "acc_" + Guid.NewGuid().ToString("N");
        var payees = Enumerable.Range(0, 3).Select(_ => "acc_" + Guid.NewGuid().ToString("N")).ToArray();
        var reserved = await ReservedPaymentsAsync(store, payer, payees);
        await a.ProcessAsync([reserved[0]], CancellationToken.None); // the payer's document exists, cached by a

        // a prepares two batches back to back, as the consumer does while the first commits; meanwhile b writes the
        // payer's document, so the first commit is refused — and the second, prepared on the first, must be too.
        var first = await a.PrepareAsync([reserved[1]], CancellationToken.None);
        var second = await a.PrepareAsync([reserved[2]], CancellationToken.None);
        await b.ProcessAsync([reserved[0] with { EventId = Guid.NewGuid() }], CancellationToken.None);
        await FluentActions.Awaiting(() => a.CommitAsync(first, CancellationToken.None)).Should().ThrowAsync<JasperFx.ConcurrencyException>();
        await FluentActions.Awaiting(() => a.CommitAsync(second, CancellationToken.None)).Should().ThrowAsync<JasperFx.ConcurrencyException>(
            "it was prepared on the first batch's documents, which were never written");

        await a.ProcessAsync([reserved[1]], CancellationToken.None); // redelivered, redone from the store
        await a.ProcessAsync([reserved[2]], CancellationToken.None);

        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        var features = (await new FraudWrites(store).LoadFeaturesAsync(connection, [payer], CancellationToken.None))[payer].Doc;
        features.SentPanes.Count(DateTimeOffset.UtcNow, TimeSpan.FromHours(1)).Should().Be(4, "b's payment and each of a's counted once");
        features.SentPanes.Sum(DateTimeOffset.UtcNow, TimeSpan.FromHours(1), "USD").Should().Be(40, "four payments of 10.00 USD");
        (features.PaidTo.Count, payees.All(features.PaidTo.Contains)).Should().Be((3, true));
    }

    private static async Task<List<Ledger.FraudPipeline.Kafka.EventEnvelope>> ReservedPaymentsAsync(IDocumentStore store, string payer, string[] payees)
    {
        var reserved = new List<Ledger.FraudPipeline.Kafka.EventEnvelope>();
        await using var session = store.LightweightSession();
        foreach (var payee in payees)
        {
            var payment = new Ledger.Projections.Money.PaymentRecord
            {
                Id = "pay_" + Guid.NewGuid().ToString("N"), Status = Ledger.Projections.Money.PaymentStatuses.Completed, PayerAccountId = payer, PayeeAccountId = payee,
                Amount = 1_000, Currency = "USD", SettledAmount = 1_000, SettledCurrency = "USD", Purpose = "goods", CreatedAt = DateTimeOffset.UtcNow,
            };
            session.Store(payment);
            reserved.Add(new(Guid.NewGuid(), reserved.Count + 1, payment.Id, 2, FraudProcessor.FundsReserved, DateTimeOffset.UtcNow,
                System.Text.Json.JsonDocument.Parse("{}").RootElement));
        }

        await session.SaveChangesAsync();
        return reserved;
    }
}
