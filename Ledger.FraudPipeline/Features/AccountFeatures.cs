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

    /// <summary>Payments sent, counted and summed per time pane (<see cref="SentPanes"/>): what the velocity features read.</summary>
    public SentPanes SentPanes { get; set; } = new();

    /// <summary>
    /// Who paid this account in the last <see cref="FeatureExtractor.Window"/>, each with its latest payment, at most
    /// <see cref="FeatureExtractor.MaxCounterparties"/> (the least recent go first). A distinct count needs one entry
    /// per counterparty, not one per payment, so a hot payee's document stays small.
    /// </summary>
    public Counterparties PaidBy { get; set; } = new();

    /// <summary>Accounts this one has paid, each with its latest payment, at most <see cref="FeatureExtractor.MaxKnownPayees"/>
    /// (the least recently paid go first): "first payment to this payee".</summary>
    public Counterparties PaidTo { get; set; } = new();

    /// <summary>The per-payment list documents kept before the panes (one entry per payment sent in a day, a hot
    /// account's document ~300 KB, rewritten on every payment). Read, folded into <see cref="SentPanes"/> by
    /// <see cref="FeatureExtractor.Upgrade"/>, and never written again.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<RecentPayment>? Sent { get; set; }

    /// <summary>The older per-payment list of payments received; folded into <see cref="PaidBy"/> like <see cref="Sent"/>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<RecentPayment>? Received { get; set; }

    /// <summary>The list of payees (ids, newest last) documents kept before <see cref="PaidTo"/>; folded into it by
    /// <see cref="FeatureExtractor.Upgrade"/> and never written again.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Payees { get; set; }

    /// <summary>Lifetime statistics of sent amounts per currency (major units), for "amount against own history".</summary>
    public Dictionary<string, AmountStats> SentStats { get; set; } = new(StringComparer.Ordinal);

    public DateTimeOffset? LastSentAt { get; set; }
}

/// <summary>One payment in an older document's recent list: when, how much (major units of <see cref="Currency"/>), with whom.</summary>
[JsonConverter(typeof(RecentPaymentJson))]
public sealed record RecentPayment(DateTimeOffset At, double Amount, string Currency, string Counterparty);

/// <summary>
/// Reads a <see cref="RecentPayment"/> of an older document, stored as <c>[unix ms, amount, currency, counterparty]</c>
/// or, older still, as an object with named properties and an ISO timestamp.
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

/// <summary>
/// An account's sent payments, counted and summed per currency in time panes that coarsen with age: one-second panes
/// for the last minute, one-minute panes for the last hour, five-minute panes for the last day (older ones are
/// dropped). A window counts the panes that start inside it, so a window's edge is exact to its pane: a second for the
/// 1-minute features, a minute for the 1-hour ones, five minutes for the 24-hour ones (at most 1/60 of a window). A
/// document then holds at most 60 + 60 + 288 panes a currency however busy the account, where the per-payment list it
/// replaces grew with every payment (a hot account's document was ~300 KB, rewritten on every payment). The pane sizes
/// and what they did to the model: docs/fraud-model.md, "Features".
/// </summary>
public sealed class SentPanes
{
    /// <summary>(pane size, how long panes of that size are kept) in seconds, finest first.</summary>
    private static readonly (long Size, long Span)[] Levels = [(1, 60), (60, 3_600), (300, 86_400)];

    public List<Pane> Seconds { get; set; } = [];
    public List<Pane> Minutes { get; set; } = [];
    public List<Pane> FiveMinutes { get; set; } = [];

    private List<Pane> Level(int i) => i switch { 0 => Seconds, 1 => Minutes, _ => FiveMinutes };

    /// <summary>The latest payment time counted (unix seconds): pane ages are measured from it, so a payment that
    /// arrives after later ones (events are not strictly in time order) lands in the pane its age calls for.</summary>
    public long Newest { get; set; }

    /// <summary>Counts a payment made at <paramref name="at"/>: panes too old for their level, as seen from the newest
    /// payment, roll into the next level (or out, past a day), and the payment joins the finest level that keeps it.</summary>
    public void Add(DateTimeOffset at, double amount, string currency)
    {
        var t = at.ToUnixTimeSeconds();
        // A payment more than a day older than the newest means the newest came from a clock that jumped ahead: follow
        // this one, or every payment until that clock is caught up would be dropped as older than a day. Panes dated
        // ahead of a payment never count for it (a window ends at the payment).
        Newest = t > Newest || Newest - t > Levels[^1].Span ? t : Newest;
        for (var i = 0; i < Levels.Length; i++)
        {
            var list = Level(i);
            var oldest = Newest - Levels[i].Span;
            for (var j = list.Count - 1; j >= 0; j--)
            {
                var pane = list[j];
                if (pane.Start > oldest)
                {
                    continue;
                }

                list.RemoveAt(j);
                if (i + 1 < Levels.Length)
                {
                    Into(Level(i + 1), Floor(pane.Start, Levels[i + 1].Size), pane.Currency, pane.Count, pane.Sum);
                }
            }
        }

        for (var i = 0; i < Levels.Length; i++)
        {
            var start = Floor(t, Levels[i].Size);
            if (start > Newest - Levels[i].Span)
            {
                Into(Level(i), start, currency, 1, amount);
                return;
            }
        }
    }

    /// <summary>Payments in panes starting within (<paramref name="at"/> - <paramref name="window"/>, <paramref name="at"/>], all currencies.</summary>
    public long Count(DateTimeOffset at, TimeSpan window) => InWindow(at, window).Sum(pane => pane.Count);

    /// <summary>The amounts (major units) in panes starting within the window, in one currency.</summary>
    public double Sum(DateTimeOffset at, TimeSpan window, string currency) =>
        InWindow(at, window).Where(pane => pane.Currency == currency).Sum(pane => pane.Sum);

    private IEnumerable<Pane> InWindow(DateTimeOffset at, TimeSpan window)
    {
        var (from, to) = Bounds(at, window);
        return Seconds.Concat(Minutes).Concat(FiveMinutes).Where(pane => pane.Start > from && pane.Start <= to);
    }

    private static (long From, long To) Bounds(DateTimeOffset at, TimeSpan window) =>
        ((at - window).ToUnixTimeSeconds(), at.ToUnixTimeSeconds());

    private static long Floor(long seconds, long size) => seconds - ((seconds % size) + size) % size;

    private static void Into(List<Pane> list, long start, string currency, long count, double sum)
    {
        foreach (var pane in list)
        {
            if (pane.Start == start && pane.Currency == currency)
            {
                pane.Count += count;
                pane.Sum += sum;
                return;
            }
        }

        list.Add(new Pane { Start = start, Currency = currency, Count = count, Sum = sum });
    }
}

/// <summary>Payments in one currency in one time pane: its start (unix seconds), how many, and their sum (major units).</summary>
[JsonConverter(typeof(PaneJson))]
public sealed class Pane
{
    public long Start { get; set; }
    public string Currency { get; set; } = string.Empty;
    public long Count { get; set; }
    public double Sum { get; set; }
}

/// <summary>Stores a <see cref="Pane"/> as <c>[start, currency, count, sum]</c>: panes are most of a feature document.</summary>
public sealed class PaneJson : JsonConverter<Pane>
{
    public override Pane Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("A pane is [start, currency, count, sum].");
        }

        reader.Read();
        var start = reader.GetInt64();
        reader.Read();
        var currency = reader.GetString() ?? string.Empty;
        reader.Read();
        var count = reader.GetInt64();
        reader.Read();
        var sum = reader.GetDouble();
        reader.Read();
        if (reader.TokenType != JsonTokenType.EndArray)
        {
            throw new JsonException("A pane is [start, currency, count, sum].");
        }

        return new Pane { Start = start, Currency = currency, Count = count, Sum = sum };
    }

    public override void Write(Utf8JsonWriter writer, Pane value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteNumberValue(value.Start);
        writer.WriteStringValue(value.Currency);
        writer.WriteNumberValue(value.Count);
        writer.WriteNumberValue(value.Sum);
        writer.WriteEndArray();
    }
}
