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
            found[reader.GetString(0)] = (_serializer.FromJson<AccountFeatures>(reader, 1), reader.GetGuid(2));
        }

        return found;
    }

    /// <returns>The version each feature document now has (what the next batch must read it at).</returns>
    public async Task<Dictionary<string, Guid>> CommitAsync(NpgsqlConnection connection, IReadOnlyCollection<(AccountFeatures Doc, Guid? ReadAt)> features,
        IReadOnlyCollection<FraudAnalysis> analyses, IReadOnlyCollection<FraudAlert> alerts, Guid[] processedEventIds, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection);
        var updated = features.Where(f => f.ReadAt is not null).Select(f => (f.Doc, f.ReadAt, Version: Guid.CreateVersion7())).ToList();
        var inserted = features.Where(f => f.ReadAt is null).Select(f => (f.Doc, f.ReadAt, Version: Guid.CreateVersion7())).ToList();
        var update = Add(batch,
            $"update {_features} d set data = t.j, mt_version = t.nv, mt_last_modified = transaction_timestamp() " +
            "from unnest($1::varchar[], $2::jsonb[], $3::uuid[], $4::uuid[]) as t(i, j, ov, nv) where d.id = t.i and d.mt_version = t.ov",
            Ids(updated), Json(updated.Select(f => f.Doc)), Param(updated.Select(f => f.ReadAt!.Value).ToArray()), Param(updated.Select(f => f.Version).ToArray()));
        var insert = Add(batch,
            $"insert into {_features} (id, data, mt_version, mt_dotnet_type, mt_last_modified) " +
            "select i, j, v, $4, transaction_timestamp() from unnest($1::varchar[], $2::jsonb[], $3::uuid[]) as t(i, j, v) on conflict (id) do nothing",
            Ids(inserted), Json(inserted.Select(f => f.Doc)), Param(inserted.Select(f => f.Version).ToArray()), Param(typeof(AccountFeatures).FullName));
        Upsert(batch, _analyses, analyses.Select(a => a.Id).ToArray(), analyses, typeof(FraudAnalysis));
        Upsert(batch, _alerts, alerts.Select(a => a.Id).ToArray(), alerts, typeof(FraudAlert));
        // A concurrent duplicate of this batch meets the primary key and the whole transaction fails, to be redone as a repeat.
        Add(batch, $"insert into {FraudProcessor.ProcessedTable} (event_id) select unnest($1::uuid[])", Param(processedEventIds));

        await using var tx = await connection.BeginTransactionAsync(ct);
        batch.Transaction = tx;
        await batch.ExecuteNonQueryAsync(ct);
        if (update.RecordsAffected != updated.Count || insert.RecordsAffected != inserted.Count)
        {
            await tx.RollbackAsync(ct);
            throw new ConcurrencyException($"Feature documents changed under this batch ({update.RecordsAffected}/{updated.Count} updated, {insert.RecordsAffected}/{inserted.Count} inserted).", null);
        }

        await tx.CommitAsync(ct);
        var versions = new Dictionary<string, Guid>(StringComparer.Ordinal);
        foreach (var (doc, _, version) in updated.Concat(inserted))
        {
            versions[doc.Id] = version;
        }

        return versions;
    }

    private void Upsert<T>(NpgsqlBatch batch, string table, string[] ids, IEnumerable<T> documents, Type type) =>
        Add(batch, Projections.Money.LedgerCommit.UpsertDocumentsSql(table),
            Param(ids), Json(documents.Cast<object>()), Param(ids.Select(_ => Guid.CreateVersion7()).ToArray()), Param(type.FullName));

    private static NpgsqlParameter Ids(List<(AccountFeatures Doc, Guid? ReadAt, Guid Version)> docs) => Param(docs.Select(f => f.Doc.Id).ToArray());

    private NpgsqlParameter Json<T>(IEnumerable<T> documents)
        where T : notnull =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = documents.Select(d => _serializer.ToJson(d)).ToArray() };

    private static NpgsqlParameter Param(object? value) => new() { Value = value ?? DBNull.Value };

    private static NpgsqlBatchCommand Add(NpgsqlBatch batch, string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        batch.BatchCommands.Add(command);
        return command;
    }

    private static string Table<T>(IDocumentStore store) => store.Options.FindOrResolveDocumentType(typeof(T)).TableName.QualifiedName;
}
