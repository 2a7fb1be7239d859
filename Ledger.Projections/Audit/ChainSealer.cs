using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.Projections.Audit;

/// <summary>What one sealing pass did.</summary>
public sealed record SealResult(int Sealed, long SealedThrough, bool Busy, bool Stalled);

/// <summary>
/// Walks <c>mt_events</c> in global sequence order and appends each event's hash to <c>event_hashes</c>, only up to
/// the point below which no event can still appear, then signs the new head (docs/decisions.md "Audit").
/// <para>The rule: a sequence number becomes visible only through the transaction that drew it. So the pass reads the
/// sequence's last value L, then the open transactions of this database, and waits until every one of those has
/// ended: from then on every number up to L is final — committed and visible, or rolled back and never to appear.
/// It is how CREATE INDEX CONCURRENTLY waits out older transactions (their virtual transaction ids), and it costs the
/// engine nothing: no per-event work, no lock on the commit path.</para>
/// </summary>
public sealed class ChainSealer
{
    public const int PageSize = 5_000;

    private readonly Func<NpgsqlConnection> _connect;
    private readonly byte[] _key;
    private readonly string _keyId;
    private readonly TimeSpan _maxWait;
    private readonly ILogger _logger;
    private readonly string _schema = Store.LedgerStore.Schema;

    public ChainSealer(Func<NpgsqlConnection> connect, byte[] signingKey, TimeSpan? maxWait = null, ILogger? logger = null)
    {
        if (signingKey.Length < 32)
        {
            throw new ArgumentException("The audit signing key must be at least 32 bytes.", nameof(signingKey));
        }

        _connect = connect;
        _key = signingKey;
        _keyId = HashChain.KeyId(signingKey);
        _maxWait = maxWait ?? TimeSpan.FromSeconds(10);
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>One pass: seals every event that is final now. Safe to call from several processes at once.</summary>
    public async Task<SealResult> SealAsync(CancellationToken ct)
    {
        await using var connection = _connect();
        await connection.OpenAsync(ct);
        var final = await FinalSequenceAsync(connection, ct);
        if (final is null)
        {
            return new SealResult(0, 0, Busy: false, Stalled: true);
        }

        var total = 0;
        long through = 0;
        while (true)
        {
            var (count, head, busy) = await SealPageAsync(connection, final.Value, ct);
            total += count;
            through = Math.Max(through, head);
            if (busy)
            {
                return new SealResult(total, through, Busy: true, Stalled: false);
            }

            if (count < PageSize)
            {
                return new SealResult(total, through, Busy: false, Stalled: false);
            }
        }
    }

    /// <summary>The highest sequence number below which nothing can still appear, or null if an open transaction
    /// outlived the wait (it may hold a number: sealing waits for the next pass).</summary>
    private async Task<long?> FinalSequenceAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        // Order matters: L first, then the open transactions. Whoever drew a number up to L was open when L was read,
        // so it is either in the list below or already finished.
        long last;
        await using (var sequence = new NpgsqlCommand($"select case when is_called then last_value else 0 end from {_schema}.mt_events_sequence", connection))
        {
            last = Convert.ToInt64(await sequence.ExecuteScalarAsync(ct));
        }

        var open = new List<string>();
        await using (var transactions = new NpgsqlCommand("""
            select l.virtualxid from pg_locks l join pg_stat_activity a on a.pid = l.pid
            where l.locktype = 'virtualxid' and l.granted and l.pid <> pg_backend_pid()
              and a.datname = current_database() and a.backend_type = 'client backend'
            """, connection))
        await using (var reader = await transactions.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                open.Add(reader.GetString(0));
            }
        }

        if (open.Count == 0)
        {
            return last;
        }

        await using var still = new NpgsqlCommand(
            "select count(*) from pg_locks where locktype = 'virtualxid' and granted and virtualxid = any(@open)", connection);
        still.Parameters.AddWithValue("open", open.ToArray());
        var deadline = DateTime.UtcNow + _maxWait;
        var pause = TimeSpan.FromMilliseconds(1);
        while (Convert.ToInt64(await still.ExecuteScalarAsync(ct)) > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                _logger.LogWarning("Audit sealing waits: a transaction open for more than {Seconds} s in this database may still append events", _maxWait.TotalSeconds);
                return null;
            }

            await Task.Delay(pause, ct);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 50));
        }

        return last;
    }

    private async Task<(int Count, long Head, bool Busy)> SealPageAsync(NpgsqlConnection connection, long final, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var lockCommand = new NpgsqlCommand($"select pg_try_advisory_xact_lock({AuditSql.SealerLockKey})", connection, tx))
        {
            if (!(bool)(await lockCommand.ExecuteScalarAsync(ct))!)
            {
                return (0, 0, true);
            }
        }

        var (headSeq, headHash, sealedCount) = await HeadAsync(connection, tx, ct);
        var events = new List<ChainedEvent>();
        await using (var read = new NpgsqlCommand(
            $"select seq_id, id, stream_id, version, type, timestamp, data::text from {_schema}.mt_events " +
            "where seq_id > @head and seq_id <= @final order by seq_id limit @page", connection, tx))
        {
            read.Parameters.AddWithValue("head", headSeq);
            read.Parameters.AddWithValue("final", final);
            read.Parameters.AddWithValue("page", PageSize);
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                events.Add(AuditReader.Event(reader, 0));
            }
        }

        if (events.Count == 0)
        {
            await tx.CommitAsync(ct);
            return (0, headSeq, false);
        }

        var hashes = new byte[events.Count][];
        var previous = new byte[events.Count][];
        var prev = headHash;
        for (var i = 0; i < events.Count; i++)
        {
            previous[i] = prev;
            hashes[i] = prev = HashChain.Hash(prev, events[i]);
        }

        var last = events[^1].Sequence;
        await using (var insert = new NpgsqlCommand(
            $"insert into {_schema}.event_hashes (seq_id, event_id, hash, prev_hash) select * from unnest(@seq, @id, @hash, @prev)", connection, tx))
        {
            insert.Parameters.AddWithValue("seq", events.Select(e => e.Sequence).ToArray());
            insert.Parameters.AddWithValue("id", events.Select(e => e.Id).ToArray());
            insert.Parameters.Add(new NpgsqlParameter("hash", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = hashes });
            insert.Parameters.Add(new NpgsqlParameter("prev", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = previous });
            await insert.ExecuteNonQueryAsync(ct);
        }

        await using (var volume = new NpgsqlCommand(VolumeProjection.AccumulateSql, connection, tx))
        {
            volume.Parameters.AddWithValue("after", headSeq);
            volume.Parameters.AddWithValue("through", last);
            await volume.ExecuteNonQueryAsync(ct);
        }

        var count = sealedCount + events.Count;
        await using (var checkpoint = new NpgsqlCommand(
            $"insert into {_schema}.chain_checkpoints (seq_id, sealed_count, hash, key_id, signature) values (@seq, @count, @hash, @key, @signature)", connection, tx))
        {
            checkpoint.Parameters.AddWithValue("seq", last);
            checkpoint.Parameters.AddWithValue("count", count);
            checkpoint.Parameters.AddWithValue("hash", prev);
            checkpoint.Parameters.AddWithValue("key", _keyId);
            checkpoint.Parameters.AddWithValue("signature", HashChain.Sign(_key, last, count, prev));
            await checkpoint.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        return (events.Count, last, false);
    }

    private async Task<(long Seq, byte[] Hash, long Count)> HeadAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        // The newest checkpoint is the head: every sealing transaction ends with one.
        await using var head = new NpgsqlCommand(
            $"select seq_id, hash, sealed_count from {_schema}.chain_checkpoints order by seq_id desc limit 1", connection, tx);
        await using var reader = await head.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetInt64(2))
            : (0, HashChain.Genesis, 0);
    }
}

/// <summary>Reads <c>mt_events</c> rows as the chain sees them.</summary>
public static class AuditReader
{
    /// <summary>Columns from <paramref name="first"/>: seq_id, id, stream_id, version, type, timestamp, data::text.</summary>
    public static ChainedEvent Event(NpgsqlDataReader reader, int first) => new(
        reader.GetInt64(first),
        reader.GetGuid(first + 1),
        reader.GetString(first + 2),
        reader.GetInt64(first + 3),
        reader.GetString(first + 4),
        reader.GetDateTime(first + 5),
        reader.GetString(first + 6));
}
