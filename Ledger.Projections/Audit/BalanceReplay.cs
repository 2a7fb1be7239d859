using System.Collections.Immutable;
using Ledger.Domain.Accounts;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Projections.Money;
using Ledger.Projections.Store;
using Marten;
using Npgsql;

namespace Ledger.Projections.Audit;

/// <summary>One disagreement between the replayed ledger and a projection.</summary>
/// <param name="Source"><c>balances</c> (the AccountBalances documents) or <c>entries</c> (ledger.entries history).</param>
/// <param name="Field">available, pending, held, owed, total (entries' balance after) or entryCount.</param>
public sealed record BalanceDifference(string AccountId, string? Currency, string Field, long Replayed, long Stored, string Source);

/// <summary>The answer of <c>POST /v1/audit/replay</c> and <c>ops/ledger replay</c>.</summary>
public sealed record ReplayReport(long Events, int Accounts, IReadOnlyList<BalanceDifference> Differences, bool Matches, DateTimeOffset? AsOf, bool Rebuilt);

/// <summary>
/// Rebuilds every customer account's money from the raw events, with the domain's own fold
/// (<see cref="MoneyDecider.Evolve"/>, the function the engine applies), and compares the result with the
/// projections: the AccountBalances documents (available, pending, held per currency, what is owed to the protection
/// reserve, the history count) and ledger.entries (the last balance-after per currency, the number of lines).
/// With <c>asOf</c> only events up to that instant count and only the history (which has time) is compared; the
/// documents hold the present. Velocity counters are not ledger state and are not compared.
/// </summary>
public sealed class BalanceReplay(IDocumentStore store)
{
    /// <summary>At most this many differences are listed (the count of all is still exact in <c>matches</c>).</summary>
    public const int MaxListed = 1_000;

    private static readonly string Schema = LedgerStore.Schema;

    public async Task<ReplayReport> RunAsync(DateTimeOffset? asOf, CancellationToken ct)
    {
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var (events, replayed) = await ReplayAsync(connection, tx, asOf, ct);
        var differences = new List<BalanceDifference>();
        if (asOf is null)
        {
            CompareDocuments(replayed, await LoadBalancesAsync(connection, tx, ct), differences);
        }

        await CompareEntriesAsync(connection, tx, replayed, asOf, differences, ct);
        await tx.CommitAsync(ct);
        return Report(events, replayed, differences, asOf, rebuilt: false);
    }

    /// <summary>
    /// Replays, reports the differences, then rewrites every AccountBalances document from the replay — in one
    /// transaction that first advances every shard's fence version: a running engine's next batch is refused and its
    /// writer reloads the rebuilt balances (docs/decisions.md "Replay"), so no writer can overwrite them with what it held.
    /// </summary>
    public async Task<ReplayReport> RebuildAsync(CancellationToken ct)
    {
        var tables = new LedgerTables(store);
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var fence = new NpgsqlCommand($"update {Schema}.shard_versions set version = version + 1, expected = version", connection, tx))
        {
            await fence.ExecuteNonQueryAsync(ct);
        }

        var (events, replayed) = await ReplayAsync(connection, tx, null, ct);
        var stored = await LoadBalancesAsync(connection, tx, ct);
        var differences = new List<BalanceDifference>();
        CompareDocuments(replayed, stored, differences);
        await CompareEntriesAsync(connection, tx, replayed, null, differences, ct);

        var documents = replayed.Keys.Union(stored.Keys).Select(id =>
        {
            var funds = replayed.GetValueOrDefault(id);
            var before = stored.GetValueOrDefault(id);
            return new AccountBalances
            {
                Id = id,
                Balances = new Dictionary<string, Balance>(funds?.Balances ?? ImmutableDictionary<string, Balance>.Empty, StringComparer.Ordinal),
                Owed = new Dictionary<string, long>(funds?.Owed ?? ImmutableDictionary<string, long>.Empty, StringComparer.Ordinal),
                EntryCount = funds?.EntryCount ?? 0,
                // Not derivable from the ledger: today's velocity counters are kept as they were.
                Velocity = before?.Velocity ?? Velocity.None,
                // A new revision, so caches keyed by it drop what they held.
                Revision = (before?.Revision ?? 0) + 1,
            };
        }).ToList();
        if (documents.Count > 0)
        {
            await using var upsert = new NpgsqlCommand(
                $"insert into {tables.DocumentTable(typeof(AccountBalances))} as d (id, data, mt_version, mt_dotnet_type, mt_last_modified) " +
                "select i, j, v, @type, transaction_timestamp() from unnest(@ids::varchar[], @data::jsonb[], @versions::uuid[]) as t(i, j, v) " +
                "on conflict (id) do update set data = excluded.data, mt_version = excluded.mt_version, mt_dotnet_type = excluded.mt_dotnet_type, mt_last_modified = excluded.mt_last_modified",
                connection, tx);
            upsert.Parameters.AddWithValue("ids", documents.Select(d => d.Id).ToArray());
            upsert.Parameters.Add(new NpgsqlParameter("data", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Jsonb) { Value = documents.Select(d => tables.Serializer.ToJson(d)).ToArray() });
            upsert.Parameters.AddWithValue("versions", documents.Select(_ => Guid.CreateVersion7()).ToArray());
            upsert.Parameters.AddWithValue("type", typeof(AccountBalances).FullName!);
            await upsert.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        return Report(events, replayed, differences, null, rebuilt: true);
    }

    private static ReplayReport Report(long events, Dictionary<string, AccountFunds> replayed, List<BalanceDifference> differences, DateTimeOffset? asOf, bool rebuilt) =>
        new(events, replayed.Count, differences.Take(MaxListed).ToList(), differences.Count == 0, asOf, rebuilt);

    /// <summary>Every event that carries postings, in global order, folded per customer account.</summary>
    private async Task<(long Events, Dictionary<string, AccountFunds> Accounts)> ReplayAsync(NpgsqlConnection connection, NpgsqlTransaction tx, DateTimeOffset? asOf, CancellationToken ct)
    {
        var serializer = store.Options.Serializer();
        var accounts = new Dictionary<string, AccountFunds>(StringComparer.Ordinal);
        long count = 0;
        await using var read = new NpgsqlCommand(
            // A loose bound in SQL (the jsonb text has 100 ns ticks, timestamptz microseconds: the cast rounds), the exact
            // one below, truncated to microseconds as ledger.entries stores the same instant.
            $"select type, data from {Schema}.mt_events where data ? 'legs' and (@asOf::timestamptz is null or (data->>'at')::timestamptz <= @asOf + interval '1 microsecond') order by seq_id",
            connection, tx);
        read.Parameters.Add(new NpgsqlParameter("asOf", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)asOf?.UtcDateTime ?? DBNull.Value });
        await using var reader = await read.ExecuteReaderAsync(ct);
        var touched = new List<string>(4);
        while (await reader.ReadAsync(ct))
        {
            var name = reader.GetString(0);
            var type = EventNames.TypeOf(name) ?? throw new InvalidOperationException($"Stored event type {name} is unknown to this build: replay cannot be trusted.");
            var e = (MoneyEvent)serializer.FromJson(type, reader, 1);
            if (asOf is { } limit && Microseconds(e.At) > limit)
            {
                continue;
            }

            count++;
            touched.Clear();
            foreach (var posting in e.Postings)
            {
                if (!SystemAccounts.IsSystem(posting.Account) && !touched.Contains(posting.Account))
                {
                    touched.Add(posting.Account);
                }
            }

            foreach (var id in touched)
            {
                var before = accounts.GetValueOrDefault(id) ?? Empty(id);
                accounts[id] = MoneyDecider.Evolve(before, e);
            }
        }

        return (count, accounts);
    }

    /// <summary>The instant as PostgreSQL keeps it (whole microseconds, truncated as Npgsql writes it).</summary>
    private static DateTimeOffset Microseconds(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % 10), TimeSpan.Zero);

    private static AccountFunds Empty(string id) =>
        new(id, string.Empty, AccountStatus.Active, ImmutableDictionary<string, Balance>.Empty, Velocity.None, 0);

    private async Task<Dictionary<string, AccountBalances>> LoadBalancesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        var serializer = store.Options.Serializer();
        var table = store.Options.FindOrResolveDocumentType(typeof(AccountBalances)).TableName.QualifiedName;
        var stored = new Dictionary<string, AccountBalances>(StringComparer.Ordinal);
        await using var read = new NpgsqlCommand($"select data from {table}", connection, tx);
        await using var reader = await read.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var document = serializer.FromJson<AccountBalances>(reader, 0);
            stored[document.Id] = document;
        }

        return stored;
    }

    private static void CompareDocuments(Dictionary<string, AccountFunds> replayed, Dictionary<string, AccountBalances> stored, List<BalanceDifference> differences)
    {
        foreach (var id in replayed.Keys.Union(stored.Keys).Order(StringComparer.Ordinal))
        {
            var funds = replayed.GetValueOrDefault(id);
            var document = stored.GetValueOrDefault(id);
            var replayedBalances = funds?.Balances ?? ImmutableDictionary<string, Balance>.Empty;
            var storedBalances = document?.Balances ?? [];
            foreach (var currency in replayedBalances.Keys.Union(storedBalances.Keys).Order(StringComparer.Ordinal))
            {
                var r = replayedBalances.GetValueOrDefault(currency);
                var s = storedBalances.GetValueOrDefault(currency);
                Add(differences, id, currency, "available", r.Available, s.Available, "balances");
                Add(differences, id, currency, "pending", r.Pending, s.Pending, "balances");
                Add(differences, id, currency, "held", r.Held, s.Held, "balances");
            }

            var replayedOwed = funds?.Owed ?? ImmutableDictionary<string, long>.Empty;
            var storedOwed = document?.Owed ?? [];
            foreach (var currency in replayedOwed.Keys.Union(storedOwed.Keys).Order(StringComparer.Ordinal))
            {
                Add(differences, id, currency, "owed", replayedOwed.GetValueOrDefault(currency), storedOwed.GetValueOrDefault(currency), "balances");
            }

            Add(differences, id, null, "entryCount", funds?.EntryCount ?? 0, document?.EntryCount ?? 0, "balances");
        }
    }

    /// <summary>The history's last balance-after per currency must be the replayed total, and its line count the
    /// replayed entry count (one grouped statement each).</summary>
    private static async Task CompareEntriesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Dictionary<string, AccountFunds> replayed, DateTimeOffset? asOf, List<BalanceDifference> differences, CancellationToken ct)
    {
        var lastBalance = new Dictionary<string, Dictionary<string, long>>(StringComparer.Ordinal);
        var lines = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var read = new NpgsqlCommand($"""
            select distinct on (account_id, currency) account_id, currency, balance_after
            from {Schema}.entries where @asOf::timestamptz is null or occurred_at <= @asOf
            order by account_id, currency, seq desc
            """, connection, tx))
        {
            read.Parameters.Add(new NpgsqlParameter("asOf", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)asOf?.UtcDateTime ?? DBNull.Value });
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var account = reader.GetString(0);
                if (!lastBalance.TryGetValue(account, out var currencies))
                {
                    lastBalance[account] = currencies = new Dictionary<string, long>(StringComparer.Ordinal);
                }

                currencies[reader.GetString(1)] = reader.GetInt64(2);
            }
        }

        await using (var count = new NpgsqlCommand(
            $"select account_id, count(*) from {Schema}.entries where @asOf::timestamptz is null or occurred_at <= @asOf group by account_id", connection, tx))
        {
            count.Parameters.Add(new NpgsqlParameter("asOf", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)asOf?.UtcDateTime ?? DBNull.Value });
            await using var reader = await count.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                lines[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        foreach (var id in replayed.Keys.Union(lines.Keys).Union(lastBalance.Keys).Order(StringComparer.Ordinal))
        {
            var balances = replayed.GetValueOrDefault(id)?.Balances ?? ImmutableDictionary<string, Balance>.Empty;
            var history = lastBalance.GetValueOrDefault(id) ?? [];
            // A currency whose total never changed (only moved between buckets) has no history line: its total is 0.
            foreach (var currency in balances.Keys.Union(history.Keys).Order(StringComparer.Ordinal))
            {
                Add(differences, id, currency, "total", balances.GetValueOrDefault(currency).Total, history.GetValueOrDefault(currency), "entries");
            }

            Add(differences, id, null, "entryCount", replayed.GetValueOrDefault(id)?.EntryCount ?? 0, lines.GetValueOrDefault(id), "entries");
        }
    }

    private static void Add(List<BalanceDifference> differences, string account, string? currency, string field, long replayed, long stored, string source)
    {
        if (replayed != stored)
        {
            differences.Add(new BalanceDifference(account, currency, field, replayed, stored, source));
        }
    }
}
