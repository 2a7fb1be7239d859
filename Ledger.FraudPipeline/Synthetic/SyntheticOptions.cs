using Ledger.FraudPipeline.Features;

namespace Ledger.FraudPipeline.Synthetic;

/// <summary>
/// The knobs of the synthetic payments world (docs/fraud-model.md). Everything that follows is a pure function of
/// these values: the same options give the same rows, byte for byte.
/// </summary>
public sealed record SyntheticOptions
{
    public int Seed { get; init; } = 42;

    public int Customers { get; init; } = 4_000;

    public int Merchants { get; init; } = 300;

    /// <summary>Days whose payments are emitted as rows (after the warm-up).</summary>
    public int Days { get; init; } = 150;

    /// <summary>
    /// Days simulated before the emitted ones and fed to the feature documents but not emitted, so the first emitted
    /// rows see accounts with a history (as the live pipeline does) instead of a world where everyone just arrived.
    /// </summary>
    public int WarmupDays { get; init; } = 30;

    /// <summary>Share of emitted payments that are injected fraud (the Fraud Detection Handbook's simulator and
    /// PaySim both sit in 0.1–2 %).</summary>
    public double FraudRate { get; init; } = 0.01;

    /// <summary>Start of the warm-up. Fixed, not the clock, so a seed means one world.</summary>
    public DateTimeOffset Start { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public DateTimeOffset EmitFrom => Start.AddDays(WarmupDays);

    public DateTimeOffset End => Start.AddDays(WarmupDays + Days);

    /// <summary>A small world for tests: a few thousand rows, generated and trained in seconds.</summary>
    public static SyntheticOptions Small(int seed) =>
        new() { Seed = seed, Customers = 400, Merchants = 60, Days = 90, WarmupDays = 20 };

    public void Validate()
    {
        if (Customers < 20 || Merchants < 5 || Days < 14 || WarmupDays < 0 || FraudRate is <= 0 or >= 0.2)
        {
            throw new ArgumentException(
                "Synthetic options out of range: customers >= 20, merchants >= 5, days >= 14, warm-up >= 0, 0 < fraud rate < 0.2.");
        }
    }
}

/// <summary>One generated payment: what the ledger would have seen, its features as the pipeline computes them before
/// the payment, and the ground truth (which the ledger never sees).</summary>
public sealed record SyntheticPayment(PaymentFacts Facts, FraudFeatures Features, bool IsFraud, string Scenario);

/// <summary>Names of the injected behaviours (the <see cref="SyntheticPayment.Scenario"/> values).</summary>
public static class Scenarios
{
    public const string Legit = "legit";
    public const string AccountTakeover = "account_takeover";
    public const string MuleFanIn = "mule_fan_in";
    public const string MuleCashOut = "mule_cash_out";
    public const string CardTesting = "testing";
    public const string DormantDrain = "dormant_drain";

    public static readonly string[] Fraud = [AccountTakeover, MuleFanIn, MuleCashOut, CardTesting, DormantDrain];
}
