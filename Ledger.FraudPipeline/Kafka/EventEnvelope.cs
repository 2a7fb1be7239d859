using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ledger.FraudPipeline.Kafka;

/// <summary>
/// One committed event as the bridge publishes it (JSON, UTF-8). Keyed by <see cref="StreamId"/> (the account,
/// payment or transaction the event belongs to), so order per stream holds in Kafka; consumers deduplicate by
/// <see cref="EventId"/> because delivery is at least once. <see cref="Data"/> is the event's stored JSON.
/// <see cref="PublishedAt"/> is when the bridge handed the event to Kafka (its page's produce time; absent in messages
/// published before it existed): minus <see cref="Timestamp"/>, the bridge's commit -> Kafka latency (ops/bench fraud).
/// </summary>
public sealed record EventEnvelope(
    Guid EventId,
    long Sequence,
    string StreamId,
    long Version,
    string Type,
    DateTimeOffset Timestamp,
    JsonElement Data,
    DateTimeOffset? PublishedAt = null)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static EventEnvelope? Parse(byte[] bytes)
    {
        try
        {
            return JsonSerializer.Deserialize<EventEnvelope>(bytes, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
