using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ledger.FraudPipeline.Features;

/// <summary>
/// The fraud pipeline's view of one account's behaviour (the seed's "NoSQL" feature store): a PostgreSQL jsonb
/// document per account, updated only from the event stream by <see cref="FeatureExtractor.Observe"/> and
/// <see cref="FeatureExtractor.Opened"/> — never by a second write path. The synthetic generator runs the very same
/// code in memory, so training and serving compute features one way.
/// </summary>
public sealed class AccountFeatures
{
    public string Id { get; set; } = string.Empty;
    public DateTimeOffset? OpenedAt { get; set; }

    /// <summary>Payments sent in the last <see cref="FeatureExtractor.Window"/> (older ones are pruned on update).</summary>
    public List<RecentPayment> Sent { get; set; } = [];

    /// <summary>Payments received in the last <see cref="FeatureExtractor.Window"/>.</summary>
    public List<RecentPayment> Received { get; set; } = [];

    /// <summary>Accounts this one has paid before, newest last, at most <see cref="FeatureExtractor.MaxKnownPayees"/>.</summary>
    public List<string> Payees { get; set; } = [];

    /// <summary>Lifetime statistics of sent amounts per currency (major units), for "amount against own history".</summary>
    public Dictionary<string, AmountStats> SentStats { get; set; } = new(StringComparer.Ordinal);

    public DateTimeOffset? LastSentAt { get; set; }
}

/// <summary>One payment in an account's recent window: when, how much (major units of <see cref="Currency"/>), with whom.</summary>
[JsonConverter(typeof(RecentPaymentJson))]
public sealed record RecentPayment(DateTimeOffset At, double Amount, string Currency, string Counterparty);

/// <summary>
/// Stores a <see cref="RecentPayment"/> as <c>[unix ms, amount, currency, counterparty]</c> rather than an object with
/// named properties and an ISO timestamp: the lists are most of a feature document, which is rewritten on every
/// payment, and this form is ~40% smaller (ops/bench/README.md, "Evening of 2026-11-25"). Millisecond time is finer
/// than any window the features use. Documents written in the older object form are still read.
/// </summary>
public sealed class RecentPaymentJson : JsonConverter<RecentPayment>
{
    public override RecentPayment Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            reader.Read();
            var at = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64());
            reader.Read();
            var amount = reader.GetDouble();
            reader.Read();
            var currency = reader.GetString() ?? string.Empty;
            reader.Read();
            var counterparty = reader.GetString() ?? string.Empty;
            reader.Read();
            if (reader.TokenType != JsonTokenType.EndArray)
            {
                throw new JsonException("A recent payment is [unix ms, amount, currency, counterparty].");
            }

            return new RecentPayment(at, amount, currency, counterparty);
        }

        using var legacy = JsonDocument.ParseValue(ref reader);
        var o = legacy.RootElement;
        JsonElement Property(string name) => o.EnumerateObject().First(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Value;
        return new RecentPayment(Property("at").GetDateTimeOffset(), Property("amount").GetDouble(), Property("currency").GetString() ?? string.Empty,
            Property("counterparty").GetString() ?? string.Empty);
    }

    public override void Write(Utf8JsonWriter writer, RecentPayment value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(value.At.ToUnixTimeMilliseconds());
        writer.WriteNumberValue(value.Amount);
        writer.WriteStringValue(value.Currency);
        writer.WriteStringValue(value.Counterparty);
        writer.WriteEndArray();
    }
}

/// <summary>Count, mean and sum of squared deviations (Welford), so the mean and deviation update in O(1).</summary>
public sealed class AmountStats
{
    public long Count { get; set; }
    public double Mean { get; set; }
    public double M2 { get; set; }

    public double StdDev => Count > 1 ? Math.Sqrt(M2 / (Count - 1)) : 0;

    public void Add(double x)
    {
        Count++;
        var delta = x - Mean;
        Mean += delta / Count;
        M2 += delta * (x - Mean);
    }
}
