using Ledger.Domain.Ledger;
using Npgsql;

namespace Ledger.Projections.Statements;

/// <summary>
/// Point-in-time balances (SPEC "History, statements, audit"): one row per account, currency and engine batch that
/// touched it, written by the shard writer in the batch's own transaction (one statement, <see cref="Insert"/>).
/// Each row carries what the batch changed in each bucket and, for customer accounts, the buckets and the history
/// entry count after it. Rows are stamped with the transaction's own clock (<c>transaction_timestamp()</c>, the same
/// instant Marten's <c>mt_events.timestamp</c> gets for the batch's events), so "as of T" means "what had been
/// booked by T" on the event store's own time axis.
/// Why per batch and not per posting: a batch is atomic, so no state inside it was ever visible; one row per
/// (account, currency) per batch is all a point-in-time read needs, and is fewer rows than postings.
/// Why after-balances (a checkpoint on every row) and not sums of deltas: an account's balance as of T is one
/// index probe per currency (the newest row at or before T), whatever the depth of its history; summing deltas
/// would cost O(history). System accounts are written by every shard at once, so no writer knows their running
/// balance: their rows carry the batch's change only, and the trial balance sums changes.
/// </summary>
public static class BalanceHistory
{
    public static readonly string Schema = Store.LedgerStore.Schema;

    public static string Ddl => $"""
        do $bh$
        begin
            if to_regclass('{Schema}.balance_changes') is null then
                create table {Schema}.balance_changes (
                    account_id text not null,
                    currency text not null,
                    booked_at timestamptz not null,
                    id bigint generated always as identity,
                    available_change bigint not null,
                    pending_change bigint not null,
                    held_change bigint not null,
                    available bigint,
                    pending bigint,
                    held bigint,
                    entry_count bigint,
                    primary key (account_id, currency, booked_at, id));

                -- A database that already has money events (created before this table existed) gets its history
                -- from the events' postings: events of one batch share their transaction's timestamp, which is the
                -- booking instant; after-balances are running sums in that order, entry counts those of the entries
                -- table at or before it.
                if to_regclass('{Schema}.mt_events') is not null then
                    insert into {Schema}.balance_changes (account_id, currency, booked_at, available_change, pending_change, held_change, available, pending, held, entry_count)
                    select g.account, g.currency, g.ts, g.da, g.dp, g.dh,
                        case when g.account like 'sys\_%' then null else sum(g.da) over w end,
                        case when g.account like 'sys\_%' then null else sum(g.dp) over w end,
                        case when g.account like 'sys\_%' then null else sum(g.dh) over w end,
                        case when g.account like 'sys\_%' then null else
                            (select count(*) from {Schema}.entries n where n.account_id = g.account and n.occurred_at <= g.ts) end
                    from (
                        select leg->>'account' as account, leg->>'currency' as currency, e.timestamp as ts,
                            sum(case when leg->>'bucket' = 'Available' then (leg->>'amount')::bigint else 0 end)::bigint as da,
                            sum(case when leg->>'bucket' = 'Pending' then (leg->>'amount')::bigint else 0 end)::bigint as dp,
                            sum(case when leg->>'bucket' = 'Held' then (leg->>'amount')::bigint else 0 end)::bigint as dh
                        from {Schema}.mt_events e, jsonb_array_elements(e.data->'legs') leg
                        where jsonb_typeof(e.data->'legs') = 'array'
                        group by 1, 2, 3) g
                    window w as (partition by g.account, g.currency order by g.ts);
                end if;
            end if;
        end
        $bh$;
        """;

    /// <summary>A whole batch's rows in one statement (arrays, unnested); null after-balances for system accounts.</summary>
    public static readonly string Insert =
        $"insert into {Schema}.balance_changes (account_id, currency, booked_at, available_change, pending_change, held_change, available, pending, held, entry_count) " +
        "select a, c, transaction_timestamp(), da, dp, dh, ka, kp, kh, n from unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], " +
        "$6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[]) as t(a, c, da, dp, dh, ka, kp, kh, n)";

    // The newest row at or before the instant, one index probe per currency (the account's currencies come from the
    // balances document: a currency, once touched, stays there).
    private static readonly string AsOfSql =
        $"select c.currency, h.available, h.pending, h.held, h.entry_count from unnest(@currencies::text[]) as c(currency) " +
        $"cross join lateral (select available, pending, held, entry_count from {Schema}.balance_changes b " +
        "where b.account_id = @account and b.currency = c.currency and b.booked_at <= @at order by b.booked_at desc, b.id desc limit 1) h";

    private static readonly string TrialSql =
        $"select account_id, currency, sum(available_change)::bigint, sum(pending_change)::bigint, sum(held_change)::bigint from {Schema}.balance_changes " +
        "where booked_at <= @at group by account_id, currency";

    /// <summary>The account's buckets per currency as booked at <paramref name="at"/>, with the account's history
    /// entry count then (the entries table's seq is per account, so entries booked in (from, asOf] are the seq range
    /// between the two counts). Currencies not yet touched at that instant are absent.</summary>
    public static async Task<AccountAsOf> AccountAsOfAsync(NpgsqlConnection connection, string accountId, IReadOnlyCollection<string> currencies, DateTimeOffset at, CancellationToken ct)
    {
        var balances = new SortedDictionary<string, Balance>(StringComparer.Ordinal);
        long entries = 0;
        if (currencies.Count == 0)
        {
            return new AccountAsOf(balances, 0);
        }

        await using var command = new NpgsqlCommand(AsOfSql, connection);
        command.Parameters.AddWithValue("currencies", currencies.ToArray());
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.AddWithValue("at", at);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            balances[reader.GetString(0)] = new Balance(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
            entries = Math.Max(entries, reader.GetInt64(4));
        }

        return new AccountAsOf(balances, entries);
    }

    /// <summary>Every account's buckets per currency at <paramref name="at"/>: the sum of every change booked by then.</summary>
    public static async Task<List<AccountCurrencyBalance>> AllAsOfAsync(NpgsqlConnection connection, DateTimeOffset at, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(TrialSql, connection);
        command.Parameters.AddWithValue("at", at);
        var rows = new List<AccountCurrencyBalance>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new AccountCurrencyBalance(reader.GetString(0), reader.GetString(1), new Balance(reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4))));
        }

        return rows;
    }
}

/// <summary>An account as booked at an instant: balances per currency, and how many history entries it had.</summary>
public sealed record AccountAsOf(IReadOnlyDictionary<string, Balance> Balances, long EntryCount);

public sealed record AccountCurrencyBalance(string Account, string Currency, Balance Balance);

public static class StatementEntries
{
    private static readonly string RangeSql =
        $"select account_id, seq, kind, payment_id, transaction_id, currency, amount, balance_after, counterparty, occurred_at from {Store.LedgerStore.Schema}.entries " +
        "where account_id = @account and seq > @after and seq <= @upto order by seq";

    /// <summary>The account's history entries with seq in (<paramref name="after"/>, <paramref name="upTo"/>], in order.</summary>
    public static async Task<List<Money.LedgerEntry>> RangeAsync(NpgsqlConnection connection, string accountId, long after, long upTo, CancellationToken ct)
    {
        if (upTo <= after)
        {
            return [];
        }

        await using var command = new NpgsqlCommand(RangeSql, connection);
        command.Parameters.AddWithValue("account", accountId);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("upto", upTo);
        return await Money.EntryStore.ReadEntriesAsync(command, ct);
    }
}
