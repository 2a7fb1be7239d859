using JasperFx;
using Ledger.FraudPipeline.Features;
using Ledger.Projections.Fraud;
using Marten;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.FraudPipeline.Scoring;

/// <summary>
/// One consumer batch's reads and writes as a few set-based statements (as the engine's LedgerCommit does), instead of
/// Marten's one upsert statement per document: measured, the consumer spent its time waiting on ~2,000 statements per
/// batch of 500 payments (ops/bench/README.md, "Fraud pipeline"). The rows are Marten's own (same tables, columns and
/// serializer), so Marten reads them unchanged. Feature documents keep optimistic concurrency: each is updated only
/// at the version it was read at, a new one only inserted if still absent; a miss throws
/// <see cref="ConcurrencyException"/> and the whole transaction rolls back, for the processor to redo the batch.
/// </summary>
public sealed class FraudWrites(IDocumentStore store)
{
    private readonly ISerializer _serializer = store.Options.Serializer();
    private readonly string _features = Table<AccountFeatures>(store);
    private readonly string _analyses = Table<FraudAnalysis>(store);
    private readonly string _alerts = Table<FraudAlert>(store);
    private readonly string _payments = Table<Projections.Money.PaymentRecord>(store);

    /// <summary>
    /// A batch's first read, in one round trip on kept plans that reach rows by index only (PlanSettings): which of its
    /// events were processed already, and the payments they reserve funds for. As two statements, each planned anew, on
    /// a connection of their own plus a Marten session's, they took longer to plan than to run (pg_stat_statements at
    /// 200 payments/s: ops/bench/README.md, "Afternoon of 2026-11-26").
    /// </summary>
    public async Task<(HashSet<Guid> Processed, Dictionary<string, Projections.Money.PaymentRecord> Payments)> ReadBatchAsync(
        NpgsqlConnection connection, Guid[] eventIds, string[] paymentIds, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection) // one implicit transaction: the settings hold for both reads
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(Projections.Store.PlanSettings.GenericIndexPlans),
                new NpgsqlBatchCommand(ProcessedSql) { Parameters = { Param(eventIds) } },
                new NpgsqlBatchCommand(PaymentsSql) { Parameters = { Param(paymentIds) } },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        var processed = new HashSet<Guid>();
        while (await reader.ReadAsync(ct))
        {
            processed.Add(reader.GetGuid(0));
        }

        await reader.NextResultAsync(ct);
        var payments = new Dictionary<string, Projections.Money.PaymentRecord>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            var payment = _serializer.FromJson<Projections.Money.PaymentRecord>(reader, 0);
            payments[payment.Id] = payment;
        }

        return (processed, payments);
    }

    /// <summary>The events of a batch already processed (<c>$1</c>: their ids).</summary>
    public static string ProcessedSql => $"select event_id from {FraudProcessor.ProcessedTable} where event_id = any($1)";

    /// <summary>Payment documents by id (<c>$1</c>).</summary>
    public string PaymentsSql => $"select data from {_payments} where id = any($1)";

    /// <summary>Feature documents by account id, with the version each was read at.</summary>
    public async Task<Dictionary<string, (AccountFeatures Doc, Guid Version)>> LoadFeaturesAsync(NpgsqlConnection connection, string[] ids, CancellationToken ct)
    {
        var found = new Dictionary<string, (AccountFeatures, Guid)>(StringComparer.Ordinal);
        if (ids.Length == 0)
        {
            return found;
        }

        await using var command = new NpgsqlCommand($"select id, data, mt_version from {_features} where id = any($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            found[reader.GetString(0)] = (FeatureExtractor.Upgrade(_serializer.FromJson<AccountFeatures>(reader, 1)), reader.GetGuid(2));
        }

        return found;
    }

    /// <summary>A batch's writes, serialised and ready to run: built while the documents are in a known state, so the
    /// consumer may go on changing them for the next batch while this one commits.</summary>
    public sealed class PendingWrite(List<NpgsqlBatchCommand> commands, NpgsqlBatchCommand update, int updates, NpgsqlBatchCommand insert, int inserts, Dictionary<string, Guid> versions)
    {
        internal List<NpgsqlBatchCommand> Commands => commands;
        internal NpgsqlBatchCommand Update => update;
        internal int Updates => updates;
        internal NpgsqlBatchCommand Insert => insert;
        internal int Inserts => inserts;

        /// <summary>The version each feature document will have once this commits (what a later batch reads it at).</summary>
        public IReadOnlyDictionary<string, Guid> Versions => versions;
    }

    /// <returns>The version each feature document now has (what the next batch must read it at).</returns>
    public async Task<IReadOnlyDictionary<string, Guid>> CommitAsync(NpgsqlConnection connection, IReadOnlyCollection<(AccountFeatures Doc, Guid? ReadAt)> features,
        IReadOnlyCollection<FraudAnalysis> analyses, IReadOnlyCollection<FraudAlert> alerts, Guid[] processedEventIds, CancellationToken ct)
    {
        var write = Prepare(features, analyses, alerts, processedEventIds);
        await ExecuteAsync(connection, write, ct);
        return write.Versions;
    }

    /// <summary>Feature documents read at version <c>$3</c> get body <c>$2</c> and version <c>$4</c>, by id <c>$1</c>.</summary>
    private string UpdateFeaturesSql =>
        $"update {_features} d set data = t.j, mt_version = t.nv, mt_last_modified = transaction_timestamp() " +
        "from unnest($1::varchar[], $2::jsonb[], $3::uuid[], $4::uuid[]) as t(i, j, ov, nv) where d.id = t.i and d.mt_version = t.ov";

    /// <summary>New feature documents; one that exists already is left alone (and the batch refused, see ExecuteAsync).</summary>
    private string InsertFeaturesSql =>
        $"insert into {_features} (id, data, mt_version, mt_dotnet_type, mt_last_modified) " +
        "select i, j, v, $4, transaction_timestamp() from unnest($1::varchar[], $2::jsonb[], $3::uuid[]) as t(i, j, v) on conflict (id) do nothing";

    private static string InsertProcessedSql => $"insert into {FraudProcessor.ProcessedTable} (event_id) select unnest($1::uuid[])";

    /// <summary>Serialises the batch into its statements (no I/O).</summary>
    public PendingWrite Prepare(IReadOnlyCollection<(AccountFeatures Doc, Guid? ReadAt)> features,
        IReadOnlyCollection<FraudAnalysis> analyses, IReadOnlyCollection<FraudAlert> alerts, Guid[] processedEventIds)
    {
        var commands = new List<NpgsqlBatchCommand>();
        var updated = features.Where(f => f.ReadAt is not null).Select(f => (f.Doc, f.ReadAt, Version: Guid.CreateVersion7())).ToList();
        var inserted = features.Where(f => f.ReadAt is null).Select(f => (f.Doc, f.ReadAt, Version: Guid.CreateVersion7())).ToList();
        var update = Add(commands, UpdateFeaturesSql,
            Ids(updated), Json(updated.Select(f => f.Doc)), Param(updated.Select(f => f.ReadAt!.Value).ToArray()), Param(updated.Select(f => f.Version).ToArray()));
        var insert = Add(commands, InsertFeaturesSql,
            Ids(inserted), Json(inserted.Select(f => f.Doc)), Param(inserted.Select(f => f.Version).ToArray()), Param(typeof(AccountFeatures).FullName));
        Upsert(commands, _analyses, analyses.Select(a => a.Id).ToArray(), analyses, typeof(FraudAnalysis));
        Upsert(commands, _alerts, alerts.Select(a => a.Id).ToArray(), alerts, typeof(FraudAlert));
        // A concurrent duplicate of this batch meets the primary key and the whole transaction fails, to be redone as a repeat.
        Add(commands, InsertProcessedSql, Param(processedEventIds));
        var versions = new Dictionary<string, Guid>(StringComparer.Ordinal);
        foreach (var (doc, _, version) in updated.Concat(inserted))
        {
            versions[doc.Id] = version;
        }

        return new PendingWrite(commands, update, updated.Count, insert, inserted.Count, versions);
    }

    /// <summary>Runs a prepared batch in one transaction; a feature document not at the version it was read at (or
    /// inserted meanwhile) throws <see cref="ConcurrencyException"/> and nothing is written.</summary>
    public async Task ExecuteAsync(NpgsqlConnection connection, PendingWrite write, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(Projections.Store.PlanSettings.GenericIndexPlans));
        foreach (var command in write.Commands)
        {
            batch.BatchCommands.Add(command);
        }

        await using var tx = await connection.BeginTransactionAsync(ct);
        batch.Transaction = tx;
        await batch.ExecuteNonQueryAsync(ct);
        if (write.Update.RecordsAffected != write.Updates || write.Insert.RecordsAffected != write.Inserts)
        {
            await tx.RollbackAsync(ct);
            throw new ConcurrencyException($"Feature documents changed under this batch ({write.Update.RecordsAffected}/{write.Updates} updated, {write.Insert.RecordsAffected}/{write.Inserts} inserted).", null);
        }

        await tx.CommitAsync(ct);
    }

    private void Upsert<T>(List<NpgsqlBatchCommand> commands, string table, string[] ids, IEnumerable<T> documents, Type type) =>
        Add(commands, Projections.Money.LedgerCommit.UpsertDocumentsSql(table),
            Param(ids), Json(documents.Cast<object>()), Param(ids.Select(_ => Guid.CreateVersion7()).ToArray()), Param(type.FullName));

    private static NpgsqlParameter Ids(List<(AccountFeatures Doc, Guid? ReadAt, Guid Version)> docs) => Param(docs.Select(f => f.Doc.Id).ToArray());

    private NpgsqlParameter Json<T>(IEnumerable<T> documents)
        where T : notnull =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = documents.Select(d => _serializer.ToJson(d)).ToArray() };

    private static NpgsqlParameter Param(object? value) => new() { Value = value ?? DBNull.Value };

    private static NpgsqlBatchCommand Add(List<NpgsqlBatchCommand> commands, string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        commands.Add(command);
        return command;
    }

    private static string Table<T>(IDocumentStore store) => store.Options.FindOrResolveDocumentType(typeof(T)).TableName.QualifiedName;
}
