namespace Ledger.Projections.Fraud;

/// <summary>
/// SPEC "Fraud" ANALYSIS_DATA: one per scored payment (id <c>ana_</c> + the payment's id, so a redelivered payment
/// finds the analysis it already has). Written by the fraud pipeline in the same transaction as the feature updates it
/// made from the same event.
/// </summary>
public sealed class FraudAnalysis
{
    public string Id { get; set; } = string.Empty;
    public string PaymentId { get; set; } = string.Empty;
    public string PayerAccountId { get; set; } = string.Empty;
    public string PayeeAccountId { get; set; } = string.Empty;

    /// <summary>0–1; a model input/output, not money.</summary>
    public double RiskScore { get; set; }

    /// <summary><c>approve</c>, <c>review</c> or <c>reject</c>.</summary>
    public string Decision { get; set; } = string.Empty;
    public List<string> Reasons { get; set; } = [];
    public string Model { get; set; } = string.Empty;
    public string ModelVersion { get; set; } = string.Empty;

    /// <summary>The model's inputs by name (FraudFeatures.Names).</summary>
    public Dictionary<string, double> Features { get; set; } = new(StringComparer.Ordinal);
    public DateTimeOffset AnalyzedAt { get; set; }

    /// <summary>When the payment was committed (its event's timestamp): AnalyzedAt minus this is the pipeline's lag.</summary>
    public DateTimeOffset PaymentCreatedAt { get; set; }

    /// <summary>When the Kafka bridge published the event the analysis came from (null if the message predates the
    /// field). PublishedAt minus that event's commit timestamp is the bridge's commit -> Kafka latency; AnalyzedAt minus
    /// PublishedAt is Kafka -> consumer -> scored (ops/bench/run fraud reads both).</summary>
    public DateTimeOffset? PublishedAt { get; set; }

    /// <summary>The event the analysis came from (global sequence), for audit.</summary>
    public long EventSequence { get; set; }

    public static string IdFor(string paymentId) => "ana_" + paymentId;
}

/// <summary>SPEC "Fraud" ALERT_LOG: raised for high risk or rule hits, also published to the alerts topic.</summary>
public sealed class FraudAlert
{
    public string Id { get; set; } = string.Empty;
    public string AccountId { get; set; } = string.Empty;
    public string PaymentId { get; set; } = string.Empty;

    /// <summary><c>high_risk</c> (model score over the review threshold) or <c>rule_hit</c>.</summary>
    public string Type { get; set; } = string.Empty;

    /// <summary><c>high</c> (rejected), <c>medium</c> (review) or <c>low</c>.</summary>
    public string Severity { get; set; } = string.Empty;
    public double RiskScore { get; set; }
    public List<string> Reasons { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Deterministic per payment and type, so a redelivered event cannot raise the same alert twice.</summary>
    public static string IdFor(string paymentId, string type) => $"alr_{type}_{paymentId}";
}

public static class FraudDecisions
{
    public const string Approve = "approve";
    public const string Review = "review";
    public const string Reject = "reject";
}
