using System.Globalization;
using Ledger.FraudPipeline.Features;

namespace Ledger.FraudPipeline.Scoring;

/// <summary>
/// Human-readable reasons from notable feature values, strongest first: what a reviewer would want to read before
/// the score. These are facts about the payment, not the model's internals (tree models give no honest per-row
/// attribution cheaply); a busy shop or a familiar payee is not notable, so ordinary values say nothing.
/// Velocity counts are of the payer's other payments: the features are taken before this one is folded in.
/// </summary>
public static class FraudExplainer
{
    public const int BurstPerMinute = 2;
    public const int BurstPerHour = 6;
    public const double LargeAmountRatio = 5;
    public const int IdleDays = 30;
    public const int FanInAccounts = 5;
    public const int YoungAccountDays = 30;

    public static IReadOnlyList<string> Explain(FraudFeatures f)
    {
        var reasons = new List<string>();
        var hasHistory = f.PayerHistoryLog > 0;

        if (f.PayerCount1m >= BurstPerMinute)
        {
            reasons.Add($"{f.PayerCount1m:0} other payments in the last minute");
        }
        else if (f.PayerCount1h >= BurstPerHour)
        {
            reasons.Add($"{f.PayerCount1h:0} other payments in the last hour");
        }

        if (hasHistory && f.PayerIdleDays >= IdleDays)
        {
            reasons.Add($"first payment after {f.PayerIdleDays:0} days idle");
        }

        // AmountToPayerMean is 1 without history; with one past payment it is already meaningful.
        if (hasHistory && f.AmountToPayerMean >= LargeAmountRatio)
        {
            var ratio = f.AmountToPayerMean >= 10 ? f.AmountToPayerMean.ToString("0", CultureInfo.InvariantCulture)
                : f.AmountToPayerMean.ToString("0.#", CultureInfo.InvariantCulture);
            reasons.Add($"amount {ratio}x the payer's usual");
        }

        // A shop taking many payments is ordinary; many distinct people paying a private or young account is not.
        if (f.PayeeDistinctPayers1h >= FanInAccounts && (f.IsPurchase == 0 || f.PayeeAgeDays < YoungAccountDays))
        {
            reasons.Add($"payee received from {f.PayeeDistinctPayers1h:0} accounts in the last hour");
        }
        else if (f.PayeeDistinctPayers24h >= FanInAccounts && f.IsPurchase == 0)
        {
            reasons.Add($"payee received from {f.PayeeDistinctPayers24h:0} accounts in the last 24 hours");
        }

        if (f.PayerDistinctPayers24h >= FanInAccounts)
        {
            reasons.Add($"payer received from {f.PayerDistinctPayers24h:0} accounts in the last 24 hours");
        }

        if (f.FirstPaymentToPayee == 1 && hasHistory)
        {
            reasons.Add(f.PayeeAgeDays < YoungAccountDays
                ? $"first payment to this payee, an account opened {Days(f.PayeeAgeDays)}"
                : "first payment to this payee");
        }

        if (f.PayerAgeDays < YoungAccountDays)
        {
            reasons.Add($"payer account opened {Days(f.PayerAgeDays)}");
        }

        return reasons;
    }

    private static string Days(float days) => days switch
    {
        < 1 => "today",
        < 2 => "1 day ago",
        _ => $"{Math.Floor(days):0} days ago",
    };
}
