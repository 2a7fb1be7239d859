using Marten;
using Marten.Services;
using Npgsql;

namespace Ledger.Projections.Store;

/// <summary>
/// Marten sessions for the account write paths (open, edit, close, erase), on connections of their own pool whose
/// statements keep one generic plan and reach stored rows by index only — what <see cref="PlanSettings"/> gives the
/// engine's commit, here set once per connection instead of per transaction.
/// <para>
/// Why: an edit is Marten's statements (the stream's version and the account snapshot, read in one round trip; the
/// person's key; <c>mt_quick_append_events</c>; the snapshot upsert), each planned anew on every execution under the
/// store's <c>force_custom_plan</c> — the append function's own statements too, since PL/pgSQL plans through the same
/// plan cache. Measured at 200 payments/s + 100 edits/s (<c>pg_stat_statements</c>, ops/bench/README.md "Afternoon of
/// 2026-11-26"): planning took as long as executing for the reads, and the append function ran 0.69 ms a call.
/// Marten runs its append function before any SQL a session queues, so the settings cannot be a statement of the
/// session's own (tried, 2026-11-26); a pool whose connections start with them needs no extra round trip.
/// </para>
/// <para>
/// Safe for these statements only: every one reads or writes by primary key (or the streams' unique id), so with
/// scans and hash or merge joins ruled out the kept plan is the index look-up whatever the statistics said when it was
/// made. Nothing else may use this pool: a report's plan must follow its data.
/// </para>
/// </summary>
public sealed class IndexPlannedSessions : IAsyncDisposable
{
    private readonly IDocumentStore _store;
    private readonly NpgsqlDataSource _source;
    private long _opened;

    public IndexPlannedSessions(IDocumentStore store, string connectionString)
    {
        _store = store;
        _source = NpgsqlDataSource.Create(ConnectionString(connectionString));
    }

    /// <summary>Connections this pool opens at most, unless the connection string says (Npgsql's default is 100 per
    /// pool): an account write holds one for a few milliseconds, and a burst waits for one rather than taking
    /// connections the store's own pool and the other services need from PostgreSQL's <c>max_connections</c>.</summary>
    public const int DefaultMaxPoolSize = 20;

    /// <summary>Sessions opened on this pool so far: what shows that the account endpoints write through it.</summary>
    public long Opened => Interlocked.Read(ref _opened);

    /// <summary>The store's connection string (tuned as the store's), with this pool's plan settings in place of the
    /// store's <c>force_custom_plan</c> and its own application name, so its backends can be told apart.</summary>
    public static string ConnectionString(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!new[] { "Maximum Pool Size", "Max Pool Size", "MaxPoolSize" }.Any(k => connectionString.Contains(k, StringComparison.OrdinalIgnoreCase)))
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }

        builder.Options = string.IsNullOrEmpty(builder.Options) ? PlanSettings.ConnectionOptions : $"{builder.Options} {PlanSettings.ConnectionOptions}";
        builder.ApplicationName = string.IsNullOrEmpty(builder.ApplicationName) ? "ledger-account-writes" : $"{builder.ApplicationName}-account-writes";
        return LedgerStore.Tune(builder.ConnectionString);
    }

    /// <summary>A lightweight session in a transaction of its own on a connection of this pool. Saving the session
    /// commits that transaction; disposing without saving rolls it back.</summary>
    public async Task<IndexPlannedSession> OpenAsync(CancellationToken ct)
    {
        var connection = _source.CreateConnection();
        try
        {
            await connection.OpenAsync(ct);
            var transaction = await connection.BeginTransactionAsync(ct); // sent with the session's first statement
            Interlocked.Increment(ref _opened);
            return new IndexPlannedSession(_store.LightweightSession(SessionOptions.ForTransaction(transaction, shouldAutoCommit: true)), connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();
}

/// <summary>A session from <see cref="IndexPlannedSessions"/> and the connection it runs on.</summary>
public sealed class IndexPlannedSession(IDocumentSession session, NpgsqlConnection connection) : IAsyncDisposable
{
    public IDocumentSession Session { get; } = session;

    /// <summary>The connection under the session (tests read its prepared statements).</summary>
    public NpgsqlConnection Connection { get; } = connection;

    public async ValueTask DisposeAsync()
    {
        await Session.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
