using Ledger.Domain.Accounts;
using Ledger.Projections.Privacy;
using Ledger.Projections.Store;
using Ledger.Testing;
using Marten;

namespace Ledger.Projections.Tests;

/// <summary>A ledger store of its own, new and empty, and the raw connection string it was made from.</summary>
public sealed class AccountWritesFixture : IAsyncLifetime
{
    public DocumentStore Store { get; private set; } = null!;

    public string ConnectionString { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.InstanceAsync();
        ConnectionString = await server.CreateDatabaseAsync(nameof(planning_account_writes));
        Store = DocumentStore.For(opts => LedgerStore.Configure(opts, ConnectionString));
        await Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
    }

    public async Task DisposeAsync() => await Store.DisposeAsync();
}

/// <summary>
/// The account write paths run Marten's statements on kept generic plans that reach rows by index only
/// (IndexPlannedSessions): made on a new, empty database, where a plan chosen from statistics would scan.
/// </summary>
public class planning_account_writes(AccountWritesFixture fixture) : IClassFixture<AccountWritesFixture>
{
    private static readonly string[] WholeTablePlans = ["Seq Scan", "Hash", "Merge Join", "Materialize"];

    [Fact]
    public async Task an_edit_runs_on_kept_generic_plans_that_reach_stored_rows_by_index_only()
    {
        // A pool of one connection (the test server's strings turn pooling off), so every session below runs on the same
        // PostgreSQL session, whose prepared statements (Npgsql prepares a statement from its second use) are inspected.
        await using var sessions = new IndexPlannedSessions(fixture.Store, fixture.ConnectionString + ";Pooling=true;Maximum Pool Size=1");
        var id = Ids.NewAccountId();
        var at = DateTimeOffset.UtcNow;
        await using (var open = await sessions.OpenAsync(CancellationToken.None))
        {
            open.Session.Events.StartStream<AccountState>(id,
                new AccountOpened(id, "alice", "alice" + id[^6..], new Protected("c1", "f1"), new Protected("c2", "f2"), AccountStatus.Active, at));
            await open.Session.SaveChangesAsync();
        }

        for (var edit = 1; edit <= 4; edit++)
        {
            await using var planned = await sessions.OpenAsync(CancellationToken.None);
            await EditAsync(planned.Session, id, edit, at);
        }

        await using var last = await sessions.OpenAsync(CancellationToken.None);
        await EditAsync(last.Session, id, 5, at);
        var prepared = await GenericPlans.PreparedAsync(last.Connection);
        prepared.Select(p => p.Statement).Should().Contain(s => s.Contains("mt_quick_append_events"))
            .And.Contain(s => s.Contains("from ledger.mt_doc_accountstate"))
            .And.Contain(s => s.Contains("insert into ledger.mt_doc_accountstate"));
        prepared.Should().OnlyContain(p => p.Custom == 0 && p.Generic > 0, "each statement of an edit is run on its kept generic plan, never planned again");
        foreach (var statement in prepared.Select(p => p.Statement).Where(s => !s.StartsWith("DO ", StringComparison.Ordinal))) // Marten's NOTIFY block has no plan
        {
            var plan = await GenericPlans.ExplainAsync(last.Connection, "select 1", statement);
            plan.Should().NotContainAny(WholeTablePlans, $"the kept plan must not read or hash whole tables:\n{statement}\n{plan}");
        }

        await using var query = fixture.Store.QuerySession();
        (await query.LoadAsync<AccountState>(id))!.Version.Should().Be(6, "the account was opened and edited five times");
    }

    [Fact]
    public void the_pool_starts_its_connections_with_the_settings_and_takes_a_bounded_number_of_them()
    {
        var pool = new Npgsql.NpgsqlConnectionStringBuilder(IndexPlannedSessions.ConnectionString("Host=db;Database=ledger"));
        (pool.Options, pool.MaxPoolSize).Should().Be((PlanSettings.ConnectionOptions, IndexPlannedSessions.DefaultMaxPoolSize));
        new Npgsql.NpgsqlConnectionStringBuilder(IndexPlannedSessions.ConnectionString("Host=db;Database=ledger;Maximum Pool Size=7")).MaxPoolSize
            .Should().Be(7, "a configured pool size is the operator's to keep");
    }

    /// <summary>What the edit endpoint does: the stream and the person's key in one round trip, one event, one save.</summary>
    private static async Task EditAsync(IDocumentSession session, string id, int edit, DateTimeOffset at)
    {
        var batch = session.CreateBatchQuery();
        var stream = batch.Events.FetchForWriting<AccountState>(id);
        var key = batch.Load<PersonKey>(id);
        await batch.Execute();
        (await stream).Aggregate.Should().NotBeNull();
        await key;
        (await stream).AppendOne(new AccountNameChanged(id, new Protected($"c{edit}", "f"), at.AddSeconds(edit)));
        await session.SaveChangesAsync();
    }
}
