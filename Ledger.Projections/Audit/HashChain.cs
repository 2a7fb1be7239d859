using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Ledger.Projections.Audit;

/// <summary>An event as the chain sees it: exactly the columns of <c>mt_events</c> that say what happened.</summary>
public sealed record ChainedEvent(long Sequence, Guid Id, string StreamId, long Version, string Type, DateTime Timestamp, string Data);

/// <summary>
/// The chain's arithmetic, shared by the sealer, the verifier and the CLI. An event's hash is
/// SHA-256(previous hash || canonical content); the first event's previous hash is 32 zero bytes. Canonical content
/// (format 1): a format byte, then sequence, id, stream id, version, stored type name, timestamp (microseconds since
/// the Unix epoch, PostgreSQL's precision) and the data as PostgreSQL renders the stored jsonb (its canonical text:
/// keys ordered, one spacing), strings length-prefixed UTF-8, integers big-endian. Any edit of any of these changes
/// the hash; moving an event changes its sequence and so its hash and every one after.
/// </summary>
public static class HashChain
{
    public const int HashSize = 32;
    private const byte Format = 1;

    public static readonly byte[] Genesis = new byte[HashSize];

    public static byte[] Hash(ReadOnlySpan<byte> previous, ChainedEvent e)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(previous);
        Span<byte> fixedPart = stackalloc byte[1 + 8 + 16];
        fixedPart[0] = Format;
        BinaryPrimitives.WriteInt64BigEndian(fixedPart[1..], e.Sequence);
        e.Id.TryWriteBytes(fixedPart[9..], bigEndian: true, out _);
        hash.AppendData(fixedPart);
        AppendString(hash, e.StreamId);
        AppendInt64(hash, e.Version);
        AppendString(hash, e.Type);
        AppendInt64(hash, Microseconds(e.Timestamp));
        AppendString(hash, e.Data);
        return hash.GetHashAndReset();
    }

    /// <summary>HMAC-SHA256 over a checkpoint's sequence, count and head hash.</summary>
    public static byte[] Sign(byte[] key, long sequence, long count, ReadOnlySpan<byte> head)
    {
        Span<byte> message = stackalloc byte[16 + HashSize];
        BinaryPrimitives.WriteInt64BigEndian(message, sequence);
        BinaryPrimitives.WriteInt64BigEndian(message[8..], count);
        head.CopyTo(message[16..]);
        return HMACSHA256.HashData(key, message);
    }

    /// <summary>Names a key without revealing it, so checkpoints say which key signed them (rotation).</summary>
    public static string KeyId(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 8));

    private static long Microseconds(DateTime timestamp) =>
        (DateTime.SpecifyKind(timestamp, DateTimeKind.Utc).Ticks - DateTime.UnixEpoch.Ticks) / 10;

    private static void AppendInt64(IncrementalHash hash, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        hash.AppendData(bytes);
    }

    private static void AppendString(IncrementalHash hash, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        AppendInt64(hash, bytes.Length);
        hash.AppendData(bytes);
    }
}
