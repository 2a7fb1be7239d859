using Npgsql;

namespace Ledger.Api.Tests.Money;

/// <summary>What must hold of the whole ledger at rest, read straight from PostgreSQL.</summary>
public static class LedgerInvariants
{
    public static async Task AssertAsync(string connectionString, IReadOnlyDictionary<string, long> expectedCustomerTotals)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();

        // 1. Double entry: every currency nets to zero over every posting of every event.
        var nets = await RowsAsync(connection, """
            select leg->>'currency', sum((leg->>'amount')::bigint)::bigint
            from ledger.mt_events e, jsonb_array_elements(e.data->'legs') leg group by 1
            """);
        nets.Should().NotBeEmpty();
        nets.Should().OnlyContain(r => (long)r[1] == 0, "postings net to zero per currency");

        // 2. Nothing is left in transit once every payment has settled.
        var transit = await RowsAsync(connection, """
            select coalesce(sum((leg->>'amount')::bigint), 0)::bigint from ledger.mt_events e, jsonb_array_elements(e.data->'legs') leg
            where leg->>'account' = 'sys_transit'
            """);
        ((long)transit[0][0]).Should().Be(0);

        // 3. The balances the engine keeps equal the balances the events say, bucket by bucket (a replay).
        var mismatches = await RowsAsync(connection, """
            with replay as (
                select leg->>'account' as account, leg->>'currency' as currency,
                       sum(case when leg->>'bucket' = 'Available' then (leg->>'amount')::bigint else 0 end) as available,
                       sum(case when leg->>'bucket' = 'Pending' then (leg->>'amount')::bigint else 0 end) as pending,
                       sum(case when leg->>'bucket' = 'Held' then (leg->>'amount')::bigint else 0 end) as held
                from ledger.mt_events e, jsonb_array_elements(e.data->'legs') leg
                where leg->>'account' not like 'sys_%' group by 1, 2),
            kept as (
                select b.id as account, c.key as currency, (c.value->>'available')::bigint as available,
                       (c.value->>'pending')::bigint as pending, (c.value->>'held')::bigint as held
                from ledger.mt_doc_accountbalances b, jsonb_each(b.data->'balances') c)
            select coalesce(r.account, k.account), coalesce(r.currency, k.currency)
            from replay r full join kept k on r.account = k.account and r.currency = k.currency
            where r.available is distinct from k.available or r.pending is distinct from k.pending or r.held is distinct from k.held
            """);
        mismatches.Should().BeEmpty("every balance document matches a replay of the events");

        // 4. No customer balance below zero, in any bucket.
        var negative = await RowsAsync(connection, """
            select b.id from ledger.mt_doc_accountbalances b, jsonb_each(b.data->'balances') c
            where (c.value->>'available')::bigint < 0 or (c.value->>'pending')::bigint < 0 or (c.value->>'held')::bigint < 0
            """);
        negative.Should().BeEmpty();

        // 5. Customer money is exactly what came in minus what went out, less what the ledger's own accounts hold:
        //    the fx position and fee revenue (conversions), the protection reserve (negative when it paid out), suspense.
        var totals = (await RowsAsync(connection, """
            select c.key, sum((c.value->>'available')::bigint + (c.value->>'pending')::bigint + (c.value->>'held')::bigint)::bigint
            from ledger.mt_doc_accountbalances b, jsonb_each(b.data->'balances') c group by 1
            """)).ToDictionary(r => (string)r[0], r => (long)r[1]);
        var fx = (await RowsAsync(connection, """
            select leg->>'currency', sum((leg->>'amount')::bigint)::bigint from ledger.mt_events e, jsonb_array_elements(e.data->'legs') leg
            where leg->>'account' in ('sys_fx', 'sys_fees', 'sys_protection_reserve', 'sys_suspense') group by 1
            """)).ToDictionary(r => (string)r[0], r => (long)r[1]);
        foreach (var currency in expectedCustomerTotals.Keys)
        {
            var expected = expectedCustomerTotals.GetValueOrDefault(currency) - fx.GetValueOrDefault(currency);
            totals.GetValueOrDefault(currency).Should().Be(expected, $"customer {currency} totals equal deposits minus withdrawals minus what the system accounts hold");
        }

        // 6. Fee revenue only ever grows.
        var fees = await RowsAsync(connection, """
            select leg->>'currency', sum((leg->>'amount')::bigint)::bigint from ledger.mt_events e, jsonb_array_elements(e.data->'legs') leg
            where leg->>'account' = 'sys_fees' group by 1
            """);
        fees.Where(r => (long)r[1] < 0).Should().BeEmpty("the spread is revenue, never a loss");

        // 7. The point-in-time history (statements issue) holds every posting, and each customer's newest row is its
        //    balance now, bucket by bucket.
        var historyMismatches = await RowsAsync(connection, """
            with replay as (
                select leg->>'account' as account, leg->>'currency' as currency,
                       sum(case when leg->>'bucket' = 'Available' then (leg->>'amount')::bigint else 0 end) as a,
                       sum(case when leg->>'bucket' = 'Pending' then (leg->>'amount')::bigint else 0 end) as p,
                       sum(case when leg->>'bucket' = 'Held' then (leg->>'amount')::bigint else 0 end) as h
                from ledger.mt_events e, jsonb_array_elements(e.data->'legs') leg group by 1, 2),
            history as (
                select account_id as account, currency, sum(available_change) as a, sum(pending_change) as p, sum(held_change) as h
                from ledger.balance_changes group by 1, 2)
            select coalesce(r.account, k.account), coalesce(r.currency, k.currency)
            from replay r full join history k on r.account = k.account and r.currency = k.currency
            where r.a is distinct from k.a or r.p is distinct from k.p or r.h is distinct from k.h
            """);
        historyMismatches.Should().BeEmpty("the balance history sums to the events' postings");
        var newest = await RowsAsync(connection, """
            select b.id, c.key from ledger.mt_doc_accountbalances b cross join jsonb_each(b.data->'balances') c
            cross join lateral (select * from ledger.balance_changes h where h.account_id = b.id and h.currency = c.key
                                order by h.booked_at desc, h.id desc limit 1) n
            where n.available <> (c.value->>'available')::bigint or n.pending <> (c.value->>'pending')::bigint or n.held <> (c.value->>'held')::bigint
            """);
        newest.Should().BeEmpty("a customer's newest history row is its balance");
    }

    public static async Task<List<object[]>> RowsAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object[]>();
        while (await reader.ReadAsync())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>Waits (with a deadline) until no payment, refund or chargeback is between shards.</summary>
    public static async Task WaitForSettlementAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var open = await RowsAsync(connection, """
                select (select count(*) from ledger.mt_doc_paymentrecord where data->>'status' in ('processing', 'reversing'))
                     + (select count(*) from ledger.mt_doc_pendingreturn where not (data->>'done')::boolean)
                """);
            if ((long)open[0][0] == 0)
            {
                return;
            }

            DateTime.UtcNow.Should().BeBefore(deadline, "cross-shard payments settle within 30 s");
            await Task.Delay(50);
        }
    }
}
