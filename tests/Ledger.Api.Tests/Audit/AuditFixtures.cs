using System.Text.Json;
using Npgsql;
using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Audit;

public static class AuditFixtures
{
    /// <summary>Some history: accounts, deposits, payments within and across shards, a withdrawal.</summary>
    public static async Task<(string Payer, string Payee)> SomeHistoryAsync(ApiHosts hosts)
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, same, other) = await ShardedTrioAsync(hosts, alice, bob);
        foreach (var payee in new[] { same, other })
        {
            var paid = await alice.PostWithKeyAsync("/v1/payments", Payment(payer, payee, "7.50"));
            paid.StatusCode.Should().Be(HttpStatusCode.Created, await paid.Content.ReadAsStringAsync());
        }

        var withdrawn = await alice.PostWithKeyAsync("/v1/withdrawals", new { accountId = payer, amount = Amount("5.00"), reference = "out" });
        withdrawn.StatusCode.Should().Be(HttpStatusCode.Created, await withdrawn.Content.ReadAsStringAsync());
        await Money.LedgerInvariants.WaitForSettlementAsync(hosts.ConnectionString);
        return (payer, other);
    }

    /// <summary>Verifies until every event in the log is sealed (the sealer runs in the background), within 15 s.</summary>
    public static async Task<JsonElement> SealedAndVerifiedAsync(LedgerClient auditor)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var response = await auditor.GetAsync("/v1/audit/verify");
            response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
            var report = await response.JsonAsync();
            if (report.GetProperty("unsealed").GetInt64() == 0 && report.GetProperty("checked").GetInt64() > 0)
            {
                return report;
            }

            DateTime.UtcNow.Should().BeBefore(deadline, "the sealer catches up within seconds");
            await Task.Delay(50);
        }
    }

    /// <summary>Runs SQL as the database superuser with triggers off — what an attacker with the server's keys could do.</summary>
    public static async Task AsSuperuserBypassingTriggersAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var bypass = new NpgsqlCommand("set local session_replication_role = replica", connection, tx))
        {
            await bypass.ExecuteNonQueryAsync();
        }

        await using (var command = new NpgsqlCommand(sql, connection, tx))
        {
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            (await command.ExecuteNonQueryAsync()).Should().BeGreaterThan(0, sql);
        }

        await tx.CommitAsync();
    }

    public static async Task<long> SequenceOfAsync(string connectionString, string where) =>
        await Db.ScalarAsync<long>(connectionString, $"select seq_id from ledger.mt_events where {where} order by seq_id limit 1");
}
