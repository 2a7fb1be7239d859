using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Projections.Money;
using Ledger.Projections.Store;
using Ledger.Testing;
using Npgsql;

namespace Ledger.Projections.Tests;

/// <summary>A ledger database of its own, with every table created and still empty.</summary>
public sealed class EmptyLedgerFixture : CommitFixture
{
    protected override string Database => nameof(planning_the_engine_commit);
}

/// <summary>
/// The engine's commit keeps one generic plan per statement (PlanSettings). Made on a new, empty database — the moment
/// a plan chosen from statistics would read whole tables and keep doing so as they grow — each plan reaches stored
/// rows by index only, and none hashes, merges or scans a table. And the commit really runs on those kept plans.
/// </summary>
public class planning_the_engine_commit(EmptyLedgerFixture fixture) : IClassFixture<EmptyLedgerFixture>
{
    private static readonly string[] WholeTablePlans = ["Seq Scan", "Hash", "Merge Join", "Materialize"];

    [Fact]
    public async Task every_statement_reaches_stored_rows_by_index_only_even_on_an_empty_database()
    {
        var tables = fixture.Tables;
        (string Name, string Sql)[] statements =
        [
            ("start streams", tables.StartStreamsSql),
            ("move streams on", tables.ContinueStreamsSql),
            ("append events", tables.AppendEventsSql),
            ("payments", LedgerCommit.UpsertDocumentsSql(tables.DocumentTable(typeof(PaymentRecord)))),
            ("balances", LedgerCommit.UpsertDocumentsSql(tables.DocumentTable(typeof(AccountBalances)))),
            ("fence", LedgerSql.AdvanceShardPositional),
            ("entries", LedgerSql.InsertEntries),
            ("idempotency", LedgerSql.InsertIdempotency),
            ("quote uses", LedgerSql.InsertQuoteUses),
            ("balance history", Statements.BalanceHistory.Insert),
        ];
        await using var connection = await fixture.Open();
        foreach (var (name, sql) in statements)
        {
            var plan = await GenericPlans.ExplainAsync(connection, PlanSettings.GenericIndexPlans, sql);
            plan.Should().NotContainAny(WholeTablePlans, $"the kept plan of {name} must not read or hash whole tables:\n{plan}");
        }
    }

    [Fact]
    public async Task the_commit_runs_on_kept_generic_plans_and_leaves_the_connection_as_it_was()
    {
        // One connection, so the statements Npgsql prepares (from their second use) are this session's to inspect.
        await using var connection = await fixture.Open();
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var id = Ids.New("pay_");
            ids.Add(id);
            var start = new LedgerCommit(fixture.Tables);
            start.StartStream(id, [new PaymentInitiated(id, "acc_a", "acc_b", 500, "USD", "personal", null, null, "alice", DateTimeOffset.UtcNow)]);
            start.Upsert([new PaymentRecord { Id = id, Status = PaymentStatuses.Pending, Amount = 500, Currency = "USD" }], p => p.Id);
            start.ClaimKeys(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(48), [Ids.New("idem_")], ["hash"], [201], [null], ["{}"]);
            await start.ExecuteAsync(connection, CancellationToken.None);
        }

        foreach (var id in ids)
        {
            var more = new LedgerCommit(fixture.Tables);
            more.AppendToStream(id, [new PaymentRejected(id, ["rules"], Postings.Move("USD", 500, "acc_a", Bucket.Pending, "acc_a", Bucket.Available), DateTimeOffset.UtcNow)]);
            await more.ExecuteAsync(connection, CancellationToken.None);
        }

        var prepared = await GenericPlans.PreparedAsync(connection);
        prepared.Select(p => p.Statement).Should().Contain(s => s.StartsWith("insert into ledger.mt_events"))
            .And.Contain(s => s.StartsWith("update ledger.mt_streams")).And.Contain(s => s.StartsWith("insert into ledger.mt_doc_paymentrecord"));
        prepared.Should().OnlyContain(p => p.Custom == 0 && p.Generic > 0, "each statement of the commit is run on its kept generic plan, never planned again");
        await using var show = new NpgsqlCommand("select current_setting('plan_cache_mode'), current_setting('enable_seqscan')", connection);
        await using var reader = await show.ExecuteReaderAsync();
        await reader.ReadAsync();
        (reader.GetString(0), reader.GetString(1)).Should().Be(("force_custom_plan", "on"), "the settings are the commit's transaction's only");
    }
}
