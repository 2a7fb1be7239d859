using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ledger.FraudPipeline.Features;

/// <summary>
/// A set of counterparty accounts, each with the time (unix seconds) it was last seen, kept as 64-bit hashes of the
/// account ids and stored as one base64 string of 12-byte records (hash, seconds). A feature document holds two of
/// these (whom the account paid, who paid it), rewritten on every payment: ids as JSON strings made a document of
/// 200 counterparties ~14 KB and ~800 JSON tokens, this form ~5 KB and one token
/// (ops/bench/README.md, "Morning of 2026-11-26 (second session)"). The features only ask "is X here" and "how many
/// were seen since T", which hashes answer; two ids colliding in 64 bits is a 1-in-10^16 event for a set of 2,000.
/// The account ids themselves are in the ledger's payments.
/// </summary>
[JsonConverter(typeof(CounterpartiesJson))]
public sealed class Counterparties
{
    private readonly Dictionary<ulong, uint> _seen = [];

    public int Count => _seen.Count;

    public bool Contains(string accountId) => _seen.ContainsKey(Hash(accountId));

    /// <summary>Records <paramref name="accountId"/> as seen at <paramref name="at"/> (a later time already recorded
    /// stays); past <paramref name="cap"/> the least recently seen is forgotten.</summary>
    public void Seen(string accountId, DateTimeOffset at, int cap) => Seen(Hash(accountId), Seconds(at), cap);

    private void Seen(ulong hash, uint seconds, int cap)
    {
        _seen[hash] = _seen.TryGetValue(hash, out var last) && last > seconds ? last : seconds;
        if (_seen.Count > cap)
        {
            _seen.Remove(_seen.MinBy(pair => pair.Value).Key);
        }
    }

    /// <summary>Forgets every counterparty last seen at or before <paramref name="cutoff"/>.</summary>
    public void ForgetUpTo(DateTimeOffset cutoff)
    {
        var limit = Seconds(cutoff);
        foreach (var (hash, seconds) in _seen)
        {
            if (seconds <= limit)
            {
                _seen.Remove(hash); // removing the current entry while enumerating is allowed for Dictionary
            }
        }
    }

    /// <summary>How many were last seen within (<paramref name="from"/>, <paramref name="to"/>], to the second.</summary>
    public int SeenWithin(DateTimeOffset from, DateTimeOffset to)
    {
        var (lo, hi) = (Seconds(from), Seconds(to));
        var n = 0;
        foreach (var seconds in _seen.Values)
        {
            if (seconds > lo && seconds <= hi)
            {
                n++;
            }
        }

        return n;
    }

    internal static ulong Hash(string accountId)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(accountId), digest);
        return BinaryPrimitives.ReadUInt64LittleEndian(digest);
    }

    private static uint Seconds(DateTimeOffset at) => (uint)Math.Clamp(at.ToUnixTimeSeconds(), 0, uint.MaxValue);

    private const int RecordSize = 12;

    internal string ToBase64()
    {
        var bytes = new byte[_seen.Count * RecordSize];
        var i = 0;
        foreach (var (hash, seconds) in _seen)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i), hash);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 8), seconds);
            i += RecordSize;
        }

        return Convert.ToBase64String(bytes);
    }

    internal static Counterparties FromBase64(string text)
    {
        var bytes = Convert.FromBase64String(text);
        if (bytes.Length % RecordSize != 0)
        {
            throw new JsonException("Counterparties are 12-byte records (hash, unix seconds).");
        }

        var set = new Counterparties();
        for (var i = 0; i < bytes.Length; i += RecordSize)
        {
            set._seen[BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(i))] = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i + 8));
        }

        return set;
    }
}

/// <summary>
/// Reads and writes <see cref="Counterparties"/> as a base64 string. Also reads the form written for a few hours on
/// 2026-11-26 (<c>[[id, unix ms], ...]</c>), so no document needs a migration.
/// </summary>
public sealed class CounterpartiesJson : JsonConverter<Counterparties>
{
    public override Counterparties Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            try
            {
                return Counterparties.FromBase64(reader.GetString()!);
            }
            catch (FormatException ex)
            {
                throw new JsonException("Counterparties are a base64 string.", ex);
            }
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("Counterparties are a base64 string.");
        }

        var set = new Counterparties();
        while (reader.Read() && reader.TokenType == JsonTokenType.StartArray)
        {
            reader.Read();
            var id = reader.GetString() ?? string.Empty;
            reader.Read();
            var at = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64());
            reader.Read();
            if (reader.TokenType != JsonTokenType.EndArray)
            {
                throw new JsonException("A counterparty is [id, unix ms].");
            }

            set.Seen(id, at, int.MaxValue);
        }

        if (reader.TokenType != JsonTokenType.EndArray)
        {
            throw new JsonException("Counterparties are [[id, unix ms], ...].");
        }

        return set;
    }

    public override void Write(Utf8JsonWriter writer, Counterparties value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToBase64());
}
