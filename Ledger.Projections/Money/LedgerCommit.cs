using Ledger.Projections.Store;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.Projections.Money;

/// <summary>
/// One engine batch as a handful of set-based statements in one transaction: the shard fence, every stream and event
/// of the batch, every payment, balance and transaction document, history entries and idempotency records — one
/// statement each, whatever the batch size. The rows are exactly what Marten's own append function and document
/// upserts write (same tables, columns, stored event names, serializer), so Marten reads them back unchanged; what
/// differs is the count of statements: measured with pg_stat_statements, Marten's per-stream append function was
/// 0.10 ms a call and more than half of PostgreSQL's time in the payments bench (ops/bench/README.md).
/// Money streams have no inline projections, which is what makes bypassing Marten's unit of work safe here.
/// </summary>
public sealed class LedgerCommit
{
    private readonly LedgerTables _tables;
    private readonly NpgsqlBatch _batch = new();
    /// <summary>Streams the batch starts, and streams it moves on: each with its count of events in the batch.</summary>
    private readonly (List<string> Ids, List<long> Counts) _started = ([], []), _continued = ([], []);
    private readonly List<string> _eventStreams = [];
    /// <summary>Per event, how many of its stream's events in this batch follow it: its version is the stream's new
    /// version minus this.</summary>
    private readonly List<long> _eventBack = [];
    private readonly List<Guid> _eventIds = [];
    private readonly List<string> _eventTypes = [];
    private readonly List<string> _eventDotnetTypes = [];
    private readonly List<string> _eventBodies = [];

    public LedgerCommit(LedgerTables tables) => _tables = tables;

    /// <summary>Refuses the whole transaction unless the shard is still at <paramref name="expected"/> (see LedgerSql.Ddl).</summary>
    public void Fence(int shard, long expected) =>
        Add(LedgerSql.AdvanceShardPositional, Param(expected + 1), Param(expected), Param(shard));

    /// <summary>A stream that must not exist yet (its id is a fresh UUIDv7): an existing one fails the batch.</summary>
    public void StartStream(string id, IReadOnlyList<object> events) => Append(id, events, fresh: true);

    /// <summary>More events on an existing stream; a stream that does not exist fails the batch.</summary>
    public void AppendToStream(string id, IReadOnlyList<object> events) => Append(id, events, fresh: false);

    private void Append(string id, IReadOnlyList<object> events, bool fresh)
    {
        if (events.Count == 0)
        {
            return;
        }

        var streams = fresh ? _started : _continued;
        streams.Ids.Add(id);
        streams.Counts.Add(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var type = events[i].GetType();
            _eventStreams.Add(id);
            _eventBack.Add(events.Count - 1 - i);
            _eventIds.Add(Guid.CreateVersion7());
            _eventTypes.Add(EventNames.NameOf(type));
            _eventDotnetTypes.Add(LedgerTables.DotnetTypeName(type));
            _eventBodies.Add(_tables.Serializer.ToJson(events[i]));
        }
    }

    /// <summary>Inserts or replaces documents of one type (ids must be distinct within the call).</summary>
    public void Upsert<T>(IReadOnlyCollection<T> documents, Func<T, string> id)
        where T : notnull
    {
        if (documents.Count == 0)
        {
            return;
        }

        var table = _tables.DocumentTable(typeof(T));
        var sql = UpsertDocumentsSql(table);
        Add(sql,
            Param(documents.Select(id).ToArray()),
            new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = documents.Select(d => _tables.Serializer.ToJson(d)).ToArray() },
            Param(documents.Select(_ => Guid.CreateVersion7()).ToArray()),
            Param(typeof(T).FullName));
    }

    /// <summary>
    /// Inserts or replaces Marten documents of one table from arrays: <c>$1</c> ids, <c>$2</c> jsonb bodies, <c>$3</c>
    /// new versions, <c>$4</c> the .NET type name — the row Marten's own upsert writes, one statement for any count.
    /// </summary>
    public static string UpsertDocumentsSql(string table) =>
        $"insert into {table} as d (id, data, mt_version, mt_dotnet_type, mt_last_modified) " +
        "select i, j, v, $4, transaction_timestamp() from unnest($1::varchar[], $2::jsonb[], $3::uuid[]) as t(i, j, v) " +
        "on conflict (id) do update set data = excluded.data, mt_version = excluded.mt_version, " +
        "mt_dotnet_type = excluded.mt_dotnet_type, mt_last_modified = excluded.mt_last_modified";

    /// <summary>Any other statement of the batch, with positional (<c>$1</c>) parameters.</summary>
    public void Sql(string sql, params object?[] values) => Add(sql, [.. values.Select(Param)]);

    private readonly List<(NpgsqlBatchCommand Command, int Rows)> _claims = [];

    /// <summary>
    /// Idempotency records (<see cref="LedgerSql.InsertIdempotency"/>): if any of the <paramref name="ids"/> is held by
    /// a live record, the whole batch rolls back with <see cref="IdempotencyKeyTakenException"/>.
    /// </summary>
    public void ClaimKeys(DateTimeOffset now, DateTimeOffset expires, string[] ids, string[] hashes, int[] statuses, string?[] locations, string[] bodies)
    {
        Sql(LedgerSql.InsertIdempotency, now, expires, ids, hashes, statuses, locations, bodies);
        _claims.Add((_batch.BatchCommands[^1], ids.Length));
    }

    /// <summary>Writes everything in one transaction and one round trip; throws (and writes nothing) on any failure.</summary>
    public async Task ExecuteAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        if (_eventIds.Count > 0)
        {
            if (_started.Ids.Count > 0)
            {
                Add(_tables.StartStreamsSql, Param(_started.Ids.ToArray()), Param(_started.Counts.ToArray()));
            }

            if (_continued.Ids.Count > 0)
            {
                Add(_tables.ContinueStreamsSql, Param(_continued.Ids.ToArray()), Param(_continued.Counts.ToArray()));
            }

            Add(_tables.AppendEventsSql,
                Param(_eventStreams.ToArray()), Param(_eventBack.ToArray()), Param(_eventIds.ToArray()),
                Param(_eventTypes.ToArray()), Param(_eventDotnetTypes.ToArray()),
                new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = _eventBodies.ToArray() });
            // Marten's own append path signals its async daemon this way (StoreOptions.Events.UseListenNotifyForEventAppends);
            // we bypass that path, so we say it ourselves. PostgreSQL delivers it at commit, never for a rolled-back batch,
            // and folds duplicates within a transaction: the Kafka bridge wakes in milliseconds instead of polling.
            Add(AppendedNotification);
        }

        await using var batch = _batch;
        batch.BatchCommands.Insert(0, new NpgsqlBatchCommand(PlanSettings.GenericIndexPlans));
        await using var tx = await connection.BeginTransactionAsync(ct);
        batch.Connection = connection;
        batch.Transaction = tx;
        await batch.ExecuteNonQueryAsync(ct);
        foreach (var (command, rows) in _claims)
        {
            if (command.RecordsAffected != rows)
            {
                throw new IdempotencyKeyTakenException(); // disposing the transaction rolls everything back
            }
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>The channel Marten's daemon listens on (Marten 9.58: <c>mt_events_appended</c>, empty payload).</summary>
    public const string AppendedNotification = "select pg_notify('mt_events_appended', '')";

    private void Add(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        _batch.BatchCommands.Add(command);
    }

    private static NpgsqlParameter Param(object? value) => value switch
    {
        null => new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
        _ => new NpgsqlParameter { Value = value },
    };
}

/// <summary>What <see cref="LedgerCommit"/> needs from the store's configuration, resolved once per process.</summary>
public sealed class LedgerTables
{
    private readonly Dictionary<Type, string> _documentTables;

    public LedgerTables(IDocumentStore store)
    {
        Serializer = store.Options.Serializer();
        var schema = store.Options.Events.DatabaseSchemaName;
        _documentTables = new[] { typeof(PaymentRecord), typeof(AccountBalances), typeof(TransactionRecord), typeof(Ledger.Domain.Fx.FxQuote), typeof(DisputeRecord), typeof(PendingReturn) }
            .ToDictionary(t => t, t => store.Options.FindOrResolveDocumentType(t).TableName.QualifiedName);
        StartStreamsSql =
            $"insert into {schema}.mt_streams (id, version, timestamp, created, tenant_id, is_archived) " +
            "select id, n, now(), now(), '*DEFAULT*', false from unnest($1::varchar[], $2::bigint[]) as t(id, n)";
        ContinueStreamsSql =
            $"update {schema}.mt_streams s set version = s.version + t.n, timestamp = now() " +
            "from unnest($1::varchar[], $2::bigint[]) as t(id, n) where s.id = t.id and not coalesce(s.is_archived, false)";
        AppendEventsSql =
            $"insert into {schema}.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived) " +
            $"select nextval('{schema}.mt_events_sequence'), e.id, e.stream, " +
            $"(select s.version from {schema}.mt_streams s where s.id = e.stream and not coalesce(s.is_archived, false)) - e.back, " +
            "e.data, e.type, '*DEFAULT*', now(), e.dotnet, false " +
            "from unnest($1::varchar[], $2::bigint[], $3::uuid[], $4::varchar[], $5::varchar[], $6::jsonb[]) as e(stream, back, id, type, dotnet, data)";
    }

    public ISerializer Serializer { get; }

    /// <summary>New streams, at the count of their events in the batch. A stream that already exists fails the batch on
    /// the primary key.</summary>
    public string StartStreamsSql { get; }

    /// <summary>Existing streams moved on by the count of their events in the batch (archived ones are not).</summary>
    public string ContinueStreamsSql { get; }

    /// <summary>
    /// The batch's events, after its streams (<see cref="StartStreamsSql"/>, <see cref="ContinueStreamsSql"/>): each
    /// numbered from its stream's new version, and given a global sequence number in the batch's order (a function
    /// scan evaluates nextval row by row, in order). An event whose stream was neither started nor moved on (missing,
    /// or archived) gets a null version and the NOT NULL constraint fails the whole batch: nothing is dropped silently.
    /// Written without joins between the batch's own rows, so that its one plan, made once and kept
    /// (<see cref="PlanSettings"/>), costs the same for a batch of one event as for a thousand.
    /// </summary>
    public string AppendEventsSql { get; }

    public string DocumentTable(Type type) => _documentTables[type];

    /// <summary>The <c>mt_dotnet_type</c> Marten writes: "Namespace.Type, Assembly".</summary>
    public static string DotnetTypeName(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";
}

/// <summary>A batch claimed an idempotency key that a live record holds; nothing of the batch was written.</summary>
public sealed class IdempotencyKeyTakenException() : Exception("An idempotency key in the batch is held by a live record; the batch was rolled back.");
