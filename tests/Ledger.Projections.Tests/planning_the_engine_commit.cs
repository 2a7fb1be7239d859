using Ledger.Projections.Money;
using Ledger.Projections.Store;
using Ledger.Testing;

namespace Ledger.Projections.Tests;

/// <summary>A ledger database of its own, with every table created and still empty.</summary>
public sealed class EmptyLedgerFixture : CommitFixture
{
    protected override string Database => nameof(planning_the_engine_commit);
}

/// <summary>
/// The engine's commit keeps one generic plan per statement (PlanSettings), made here on a new, empty database — the
/// moment a plan chosen from statistics would read whole tables and keep doing so as they grow. Under the settings
/// every statement reaches stored rows by index only, and none hashes, merges or scans a table.
/// </summary>
public class planning_the_engine_commit(EmptyLedgerFixture fixture) : IClassFixture<EmptyLedgerFixture>
{
    public static TheoryData<string> Hot => new(
        nameof(LedgerTables.StartStreamsSql), nameof(LedgerTables.ContinueStreamsSql), nameof(LedgerTables.AppendEventsSql),
        "payments", "balances", nameof(LedgerSql.AdvanceShardPositional), nameof(LedgerSql.InsertEntries), nameof(LedgerSql.InsertIdempotency),
        nameof(LedgerSql.InsertQuoteUses), "balance history");

    private string Sql(string name)
    {
        var tables = fixture.Tables;
        return name switch
        {
            nameof(LedgerTables.StartStreamsSql) => tables.StartStreamsSql,
            nameof(LedgerTables.ContinueStreamsSql) => tables.ContinueStreamsSql,
            nameof(LedgerTables.AppendEventsSql) => tables.AppendEventsSql,
            "payments" => LedgerCommit.UpsertDocumentsSql(tables.DocumentTable(typeof(PaymentRecord))),
            "balances" => LedgerCommit.UpsertDocumentsSql(tables.DocumentTable(typeof(AccountBalances))),
            nameof(LedgerSql.AdvanceShardPositional) => LedgerSql.AdvanceShardPositional,
            nameof(LedgerSql.InsertEntries) => LedgerSql.InsertEntries,
            nameof(LedgerSql.InsertIdempotency) => LedgerSql.InsertIdempotency,
            nameof(LedgerSql.InsertQuoteUses) => LedgerSql.InsertQuoteUses,
            _ => Ledger.Projections.Statements.BalanceHistory.Insert,
        };
    }

    [Theory]
    [MemberData(nameof(Hot))]
    public async Task reaches_stored_rows_by_index_only_even_on_an_empty_database(string statement)
    {
        await using var connection = await fixture.Open();

        var plan = await GenericPlans.ExplainAsync(connection, PlanSettings.GenericIndexPlans, Sql(statement));

        plan.Should().NotContainAny(["Seq Scan", "Hash", "Merge Join", "Materialize"], $"the kept plan of {statement} must not read or hash whole tables:\n{plan}");
    }
}
