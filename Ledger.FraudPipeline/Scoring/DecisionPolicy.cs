using Ledger.Projections.Fraud;

namespace Ledger.FraudPipeline.Scoring;

/// <summary>
/// Section <c>Fraud</c>: the decision thresholds on the risk score (0–1). At or above <see cref="RejectAt"/> the
/// payment is rejected, at or above <see cref="ReviewAt"/> it waits for support, below it completes. Defaults are set
/// from the shipped model's held-out scores (docs/decisions.md, "Fraud decisions"): review catches most injected fraud
/// at about 1% of legitimate payments, reject only the near-certain.
/// </summary>
public sealed class DecisionPolicy
{
    public double ReviewAt { get; set; } = 0.5;
    public double RejectAt { get; set; } = 0.9;

    /// <summary>Rule hits (from the rules scorer, run beside the model as one more input) raise a <c>rule_hit</c>
    /// alert; when true they also send an otherwise approved payment to review.</summary>
    public bool ReviewOnRuleHit { get; set; }

    public void Validate()
    {
        if (ReviewAt is < 0 or > 1 || RejectAt is < 0 or > 1 || ReviewAt > RejectAt)
        {
            throw new InvalidOperationException($"Fraud:ReviewAt ({ReviewAt}) and Fraud:RejectAt ({RejectAt}) must be in [0, 1] with ReviewAt <= RejectAt.");
        }
    }

    public string Decide(double score, bool ruleHit) =>
        score >= RejectAt ? FraudDecisions.Reject
        : score >= ReviewAt || (ruleHit && ReviewOnRuleHit) ? FraudDecisions.Review
        : FraudDecisions.Approve;
}
