using Npgsql;
using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Money;

public class resuming_hosts : ApiHosts;

/// <summary>
/// A crash between the two halves of a cross-shard payment: the payer's shard committed (money in transit), the
/// process died before the payee's shard credited it. A new process must finish the payment from the store alone.
/// </summary>
public class resuming_after_a_crash(resuming_hosts hosts) : IClassFixture<resuming_hosts>
{
    [Fact]
    public async Task a_payment_left_in_transit_is_credited_by_the_next_process()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, _, payee) = await ShardedTrioAsync(hosts, alice, bob);
        var paid = await alice.PostRawWithKeyAsync("/v1/payments",
            $$"""{"payerAccountId":"{{payer}}","payeeAccountId":"{{payee}}","amount":{"amount":"40.00","currency":"USD"},"purpose":"personal"}""",
            Guid.NewGuid().ToString(), prefer: "wait=5");
        var paymentId = (await paid.JsonAsync()).GetProperty("id").GetString()!;
        (await AvailableAsync(bob, payee)).Should().Be("40.00");

        // Wind the store back to the instant after the payer's commit: the payee's half never happened.
        await UndoPayeeHalfAsync(paymentId, payee, 40_00);
        (await AvailableAsync(bob, payee)).Should().Be("0.00");
        (await Db.ScalarAsync<string>(hosts.ConnectionString, "select data->>'status' from ledger.mt_doc_paymentrecord where id = @p", paymentId)).Should().Be("processing");

        // A new process starts: it finds the payment in transit and finishes it.
        await using var next = new HostFactory<Ledger.CommandApi.Accounts.CreateAccountRequest>(hosts.Settings(), "Development", hosts.Logs);
        _ = next.Server;
        await LedgerInvariants.WaitForSettlementAsync(hosts.ConnectionString);

        (await Db.ScalarAsync<string>(hosts.ConnectionString, "select data->>'status' from ledger.mt_doc_paymentrecord where id = @p", paymentId)).Should().Be("completed");
        (await AvailableAsync(bob, payee)).Should().Be("40.00");
        (await AvailableAsync(alice, payer)).Should().Be("60.00");
        await LedgerInvariants.AssertAsync(hosts.ConnectionString, new Dictionary<string, long>());
    }

    private async Task UndoPayeeHalfAsync(string paymentId, string payee, long amount)
    {
        await using var connection = new NpgsqlConnection(hosts.ConnectionString);
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        // The event log refuses UPDATE and DELETE (audit triggers); winding it back is a superuser's act outside the
        // application, so this transaction runs with triggers off (session_replication_role = replica). The shard
        // fence trigger is off with them, which is fine: no writer is mid-batch.
        await using (var bypass = new NpgsqlCommand("set local session_replication_role = replica", connection, tx))
        {
            await bypass.ExecuteNonQueryAsync();
        }

        async Task Exec(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection, tx);
            command.Parameters.AddWithValue("pay", paymentId);
            command.Parameters.AddWithValue("payee", payee);
            command.Parameters.AddWithValue("amount", amount);
            (await command.ExecuteNonQueryAsync()).Should().BeGreaterThan(0, sql);
        }

        await Exec("delete from ledger.mt_events where stream_id = @pay and type = 'payment_completed.v1'");
        await Exec("update ledger.mt_streams set version = version - 1 where id = @pay");
        await Exec("update ledger.mt_doc_paymentrecord set data = jsonb_set(data - 'completedAt', '{status}', '\"processing\"') where id = @pay");
        await Exec("""
            update ledger.mt_doc_accountbalances
            set data = jsonb_set(jsonb_set(data, '{balances,USD,available}', to_jsonb((data->'balances'->'USD'->>'available')::bigint - @amount)),
                                 '{entryCount}', to_jsonb((data->>'entryCount')::bigint - 1))
            where id = @payee
            """);
        await Exec("delete from ledger.entries where account_id = @payee and payment_id = @pay");
        // The point-in-time history rows of the payee's batch (the payee's and transit's, booked together).
        await Exec("""
            delete from ledger.balance_changes
            where account_id in (@payee, 'sys_transit')
              and booked_at = (select max(booked_at) from ledger.balance_changes where account_id = @payee)
            """);
        await tx.CommitAsync();
    }
}
