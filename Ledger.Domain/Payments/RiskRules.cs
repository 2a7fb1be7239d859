using Ledger.Domain.Ledger;

namespace Ledger.Domain.Payments;

/// <summary>
/// The synchronous rules checker's limits (configuration section <c>Risk</c>), in minor units per currency; a
/// currency without an entry uses <c>"*"</c> scaled to its minor units by the caller. Null means "no limit".
/// </summary>
public sealed record RiskPolicy(
    IReadOnlyDictionary<string, long> MaxPerPayment,
    IReadOnlyDictionary<string, long> MaxPerDay,
    IReadOnlyDictionary<string, long> ReviewAbove,
    int? MaxPaymentsPerMinute)
{
    public static readonly RiskPolicy Unlimited = new(new Dictionary<string, long>(), new Dictionary<string, long>(), new Dictionary<string, long>(), null);
}

public sealed record RiskDecision(RiskOutcome Outcome, int ScoreBasisPoints, IReadOnlyList<string> Reasons, string Source);

/// <summary>Decides risk for a payment against the payer's state. The fraud pipeline (issue 6) implements the same
/// contract with a model; these rules stay as one of its inputs and as its fallback.</summary>
public interface IRiskAssessor
{
    RiskDecision Assess(AccountFunds payer, PayeeSnapshot payee, Money.Money amount, DateTimeOffset now);
}

public sealed class RulesRiskAssessor(RiskPolicy policy) : IRiskAssessor
{
    public const string Source = "rules";

    public RiskDecision Assess(AccountFunds payer, PayeeSnapshot payee, Money.Money amount, DateTimeOffset now)
    {
        var reasons = new List<string>();
        if (policy.MaxPerPayment.TryGetValue(amount.Currency, out var max) && amount.Minor > max)
        {
            reasons.Add($"amount above the per-payment limit of {Money.Amounts.Format(max, amount.Currency)} {amount.Currency}");
        }

        if (policy.MaxPerDay.TryGetValue(amount.Currency, out var daily) && payer.Velocity.SentTodayIn(amount.Currency, now) + amount.Minor > daily)
        {
            reasons.Add($"today's payments would exceed the daily limit of {Money.Amounts.Format(daily, amount.Currency)} {amount.Currency}");
        }

        if (policy.MaxPaymentsPerMinute is { } perMinute && payer.Velocity.CountInMinute(now) >= perMinute)
        {
            reasons.Add($"more than {perMinute} payments in a minute");
        }

        if (reasons.Count > 0)
        {
            return new RiskDecision(RiskOutcome.Reject, 10_000, reasons, Source);
        }

        if (policy.ReviewAbove.TryGetValue(amount.Currency, out var review) && amount.Minor > review)
        {
            return new RiskDecision(RiskOutcome.Review, 5_000, [$"amount above the review threshold of {Money.Amounts.Format(review, amount.Currency)} {amount.Currency}"], Source);
        }

        return new RiskDecision(RiskOutcome.Approve, 0, [], Source);
    }
}
