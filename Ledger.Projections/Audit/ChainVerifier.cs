using System.Security.Cryptography;
using Npgsql;

namespace Ledger.Projections.Audit;

/// <summary>The answer of <c>GET /v1/audit/verify</c>.</summary>
public sealed record VerifyReport(long Checked, bool Valid, long? FirstInvalidSequence, string? Reason, string? Detail, long SealedThrough, long Unsealed);

/// <summary>Why the chain is not valid: stable codes, named in docs/api.md.</summary>
public static class ChainFaults
{
    /// <summary>The event's content no longer hashes to what was sealed (edited, or swapped with another).</summary>
    public const string EventModified = "event_modified";

    /// <summary>A sealed event is gone from the log.</summary>
    public const string EventDeleted = "event_deleted";

    /// <summary>An event sits inside the sealed range but was never sealed: written into the past.</summary>
    public const string EventInserted = "event_inserted";

    /// <summary>The stored link to the previous hash is not the previous event's hash: the chain table was edited,
    /// or an event before this one was removed together with its hash.</summary>
    public const string ChainBroken = "chain_broken";

    /// <summary>A signed checkpoint does not match the recomputed chain, or its signature is not ours.</summary>
    public const string CheckpointMismatch = "checkpoint_mismatch";

    /// <summary>The newest sealed event carries no valid signed checkpoint.</summary>
    public const string HeadNotSigned = "head_not_signed";
}

/// <summary>
/// Recomputes the whole chain from the events as they are now and compares it with what was sealed, in one ordered
/// pass (events and hashes merged by sequence). Stops at the first fault and names it.
/// </summary>
public static class ChainVerifier
{
    private static readonly string Schema = Store.LedgerStore.Schema;

    public static async Task<VerifyReport> VerifyAsync(NpgsqlConnection connection, byte[] signingKey, CancellationToken ct)
    {
        // One snapshot for the whole check, so a sealer committing meanwhile does not look like tampering.
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        var checkpoints = new List<(long Seq, long Count, byte[] Hash, string KeyId, byte[] Signature)>();
        await using (var read = new NpgsqlCommand($"select seq_id, sealed_count, hash, key_id, signature from {Schema}.chain_checkpoints order by seq_id", connection, tx))
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                checkpoints.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2), reader.GetString(3), reader.GetFieldValue<byte[]>(4)));
            }
        }

        long head;
        await using (var max = new NpgsqlCommand($"select coalesce(max(seq_id), 0) from {Schema}.event_hashes", connection, tx))
        {
            head = Convert.ToInt64(await max.ExecuteScalarAsync(ct));
        }

        long unsealed;
        await using (var after = new NpgsqlCommand($"select count(*) from {Schema}.mt_events where seq_id > @head", connection, tx))
        {
            after.Parameters.AddWithValue("head", head);
            unsealed = Convert.ToInt64(await after.ExecuteScalarAsync(ct));
        }

        var keyId = HashChain.KeyId(signingKey);
        VerifyReport Fault(long seq, long count, string reason, string detail) => new(count, false, seq, reason, detail, head, unsealed);

        var previous = HashChain.Genesis;
        long checkedCount = 0;
        var nextCheckpoint = 0;
        await using (var walk = new NpgsqlCommand($"""
            select coalesce(e.seq_id, h.seq_id), e.seq_id, e.id, e.stream_id, e.version, e.type, e.timestamp, e.data::text,
                   h.seq_id, h.event_id, h.hash, h.prev_hash
            from (select * from {Schema}.mt_events where seq_id <= @head) e
            full join {Schema}.event_hashes h on h.seq_id = e.seq_id
            order by 1
            """, connection, tx))
        {
            walk.Parameters.AddWithValue("head", head);
            await using var reader = await walk.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var seq = reader.GetInt64(0);
                var hasEvent = !reader.IsDBNull(1);
                var hasHash = !reader.IsDBNull(8);
                if (!hasEvent)
                {
                    return Fault(seq, checkedCount, ChainFaults.EventDeleted, $"Event {seq} was sealed but is no longer in the log.");
                }

                if (!hasHash)
                {
                    return Fault(seq, checkedCount, ChainFaults.EventInserted, $"Event {seq} lies inside the sealed range but was never sealed.");
                }

                var e = AuditReader.Event(reader, 1);
                var storedPrevious = reader.GetFieldValue<byte[]>(11);
                if (!CryptographicOperations.FixedTimeEquals(storedPrevious, previous))
                {
                    return Fault(seq, checkedCount, ChainFaults.ChainBroken, $"The link stored with event {seq} is not the hash of the event sealed before it.");
                }

                var expected = HashChain.Hash(previous, e);
                if (reader.GetGuid(9) != e.Id || !CryptographicOperations.FixedTimeEquals(reader.GetFieldValue<byte[]>(10), expected))
                {
                    return Fault(seq, checkedCount, ChainFaults.EventModified, $"Event {seq} no longer has the content it was sealed with.");
                }

                previous = expected;
                checkedCount++;
                while (nextCheckpoint < checkpoints.Count && checkpoints[nextCheckpoint].Seq <= seq)
                {
                    var c = checkpoints[nextCheckpoint++];
                    var signed = c.KeyId == keyId && CryptographicOperations.FixedTimeEquals(c.Signature, HashChain.Sign(signingKey, c.Seq, c.Count, c.Hash));
                    if (c.Seq != seq || c.Count != checkedCount || !signed || !CryptographicOperations.FixedTimeEquals(c.Hash, expected))
                    {
                        return Fault(c.Seq, checkedCount, ChainFaults.CheckpointMismatch,
                            signed ? $"The signed checkpoint at {c.Seq} does not match the chain recomputed from the events." : $"The checkpoint at {c.Seq} is not signed with the configured key.");
                    }
                }
            }
        }

        if (head > 0 && (checkpoints.Count == 0 || checkpoints[^1].Seq != head))
        {
            return Fault(head, checkedCount, ChainFaults.HeadNotSigned, $"The newest sealed event {head} is not covered by a signed checkpoint.");
        }

        await tx.CommitAsync(ct);
        return new VerifyReport(checkedCount, true, null, null, null, head, unsealed);
    }
}
