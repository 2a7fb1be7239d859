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
public sealed record RecentPayment(DateTimeOffset At, double Amount, string Currency, string Counterparty);

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
