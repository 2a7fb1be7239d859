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

    /// <summary>
    /// The bridge's encoder: the same JSON as <see cref="ToBytes"/>, with the event's stored JSON written in as it is
    /// (parsing it into a <see cref="JsonElement"/> only to write it out again cost the bridge a parse per event).
    /// </summary>
    public static byte[] Write(Guid eventId, long sequence, string streamId, long version, string type, DateTimeOffset timestamp, string dataJson, DateTimeOffset publishedAt)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256 + dataJson.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("eventId", eventId);
            writer.WriteNumber("sequence", sequence);
            writer.WriteString("streamId", streamId);
            writer.WriteNumber("version", version);
            writer.WriteString("type", type);
            writer.WriteString("timestamp", timestamp);
            writer.WritePropertyName("data");
            writer.WriteRawValue(dataJson, skipInputValidation: true);
            writer.WriteString("publishedAt", publishedAt);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The header in which the bridge names each message's event type.</summary>
    public const string TypeHeaderName = "event-type";

    /// <summary>The event type named in a message's <see cref="TypeHeaderName"/> header, or null without one.</summary>
    public static string? TypeHeader(Confluent.Kafka.Headers? headers) =>
        headers is not null && headers.TryGetLastBytes(TypeHeaderName, out var value) ? System.Text.Encoding.UTF8.GetString(value) : null;

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
