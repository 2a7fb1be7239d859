using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Ledger.FraudPipeline.Features;
using Microsoft.Extensions.Options;

namespace Ledger.FraudPipeline.Scoring;

/// <summary>
/// Thresholds and weights of the rules (configuration section <c>Fraud:Rules</c>). Amounts are major units: the
/// features carry them as log10(1 + amount), whatever the currency — the rules see sizes, not money.
/// </summary>
public sealed class RulesOptions
{
    public const string Section = "Fraud:Rules";

    /// <summary>Account takeover burst: this many payments or more by the payer in the last minute / hour.</summary>
    public int PaymentsPerMinute { get; set; } = 5;
    public int PaymentsPerHour { get; set; } = 10;
    public double VelocityWeight { get; set; } = 0.5;

    /// <summary>Mule fan-in: the payee received from this many distinct accounts or more in the last hour.</summary>
    public int PayeeFanInPerHour { get; set; } = 8;
    public double FanInWeight { get; set; } = 0.6;

    /// <summary>Mule cash-out: the payer received from this many distinct accounts in the last day and pays someone new.</summary>
    public int CashOutFanInPerDay { get; set; } = 8;
    public double CashOutWeight { get; set; } = 0.6;

    /// <summary>Dormant-account drain: idle at least this long, then at least this multiple of the usual amount.</summary>
    public int DormantDays { get; set; } = 90;
    public double DormantAmountMultiple { get; set; } = 10;
    public double DormantWeight { get; set; } = 0.7;

    /// <summary>An amount far above the payer's own history (either multiple or standard deviations).</summary>
    public double UnusualAmountMultiple { get; set; } = 20;
    public double UnusualAmountZScore { get; set; } = 6;
    public double UnusualAmountWeight { get; set; } = 0.4;

    /// <summary>Card-testing: this many payments in the last hour, this one below <see cref="SmallAmount"/>.</summary>
    public int SmallPaymentsPerHour { get; set; } = 5;
    public double SmallAmount { get; set; } = 2;
    public double SmallPaymentsWeight { get; set; } = 0.5;

    /// <summary>A young payer account (under this many days) sending at least <see cref="NewAccountAmount"/>.</summary>
    public int NewAccountDays { get; set; } = 2;
    public double NewAccountAmount { get; set; } = 1_000;
    public double NewAccountWeight { get; set; } = 0.3;
}

/// <summary>
/// The rules engine as a scorer: each rule that fires adds a reason a person can read and a weight; the score is the
/// noisy-OR of the weights (1 − Π(1 − w)), so it is 0 with no hit, grows with every hit and never passes 1. It is the
/// fallback behind <see cref="ResilientScorer"/>, so it does no I/O and never fails.
/// </summary>
public sealed class RulesScorer : IFraudScorer
{
    public const string ModelName = "rules";

    private readonly RulesOptions _o;

    public RulesScorer(IOptions<RulesOptions> options)
    {
        _o = options.Value;
        ModelVersion = Version(_o);
    }

    /// <summary>
    /// <c>rules-v1-</c> and the first 8 hex digits of a hash of the thresholds: an analysis names the exact rule set
    /// that decided it, and two hosts with different configuration never claim the same version.
    /// </summary>
    public string ModelVersion { get; }

    public ValueTask<FraudScore> ScoreAsync(FraudFeatures features, CancellationToken ct) => ValueTask.FromResult(Score(features));

    public FraudScore Score(FraudFeatures f)
    {
        var reasons = new List<string>();
        var keep = 1.0;

        void Hit(double weight, string reason)
        {
            reasons.Add(reason);
            keep *= 1 - Math.Clamp(weight, 0, 1);
        }

        var amount = Math.Pow(10, f.AmountLog) - 1;
        if (f.PayerCount1m >= _o.PaymentsPerMinute)
        {
            Hit(_o.VelocityWeight, $"{Int(f.PayerCount1m)} payments in the last minute");
        }
        else if (f.PayerCount1h >= _o.PaymentsPerHour)
        {
            Hit(_o.VelocityWeight, $"{Int(f.PayerCount1h)} payments in the last hour");
        }

        if (f.PayeeDistinctPayers1h >= _o.PayeeFanInPerHour)
        {
            Hit(_o.FanInWeight, $"payee received from {Int(f.PayeeDistinctPayers1h)} accounts in the last hour");
        }

        if (f.PayerDistinctPayers24h >= _o.CashOutFanInPerDay && f.FirstPaymentToPayee > 0)
        {
            Hit(_o.CashOutWeight, $"payer received from {Int(f.PayerDistinctPayers24h)} accounts in the last day and pays a new payee");
        }

        // PayerIdleDays is 365 for a payer that never paid: only a payer with a history can be dormant.
        var hasHistory = f.PayerHistoryLog > 0;
        var dormant = hasHistory && f.PayerIdleDays >= _o.DormantDays && f.AmountToPayerMean >= _o.DormantAmountMultiple;
        if (dormant)
        {
            Hit(_o.DormantWeight, $"first payment after {Int(f.PayerIdleDays)} days idle and {Multiple(f.AmountToPayerMean)}x usual amount");
        }
        else if (hasHistory && (f.AmountToPayerMean >= _o.UnusualAmountMultiple || f.AmountZScore >= _o.UnusualAmountZScore))
        {
            Hit(_o.UnusualAmountWeight, $"amount is {Multiple(f.AmountToPayerMean)}x the payer's usual ({f.AmountZScore.ToString("0.#", CultureInfo.InvariantCulture)} standard deviations above)");
        }

        if (f.PayerCount1h >= _o.SmallPaymentsPerHour && amount < _o.SmallAmount)
        {
            Hit(_o.SmallPaymentsWeight, $"{Int(f.PayerCount1h)} payments in the last hour, this one under {_o.SmallAmount.ToString("0.##", CultureInfo.InvariantCulture)} (testing pattern)");
        }

        if (f.PayerAgeDays < _o.NewAccountDays && amount >= _o.NewAccountAmount)
        {
            Hit(_o.NewAccountWeight, $"payer account {Int(f.PayerAgeDays)} days old sends {Math.Round(amount).ToString(CultureInfo.InvariantCulture)}");
        }

        return new FraudScore(reasons.Count == 0 ? 0 : 1 - keep, reasons, ModelName, ModelVersion);
    }

    private static string Int(float v) => ((long)Math.Floor(v)).ToString(CultureInfo.InvariantCulture);

    private static string Multiple(float v) => v.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Version(RulesOptions o)
    {
        var text = string.Join('|', typeof(RulesOptions).GetProperties()
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => $"{p.Name}={Convert.ToString(p.GetValue(o), CultureInfo.InvariantCulture)}"));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return "rules-v1-" + Convert.ToHexStringLower(hash)[..8];
    }
}
