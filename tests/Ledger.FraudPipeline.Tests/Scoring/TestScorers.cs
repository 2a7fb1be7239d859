using Ledger.FraudPipeline.Features;
using Ledger.FraudPipeline.Scoring;

namespace Ledger.FraudPipeline.Tests.Scoring;

/// <summary>
/// A real, deterministic model for the tests (the ML.NET model is wired by the lead): a logistic function of every
/// feature with fixed weights, so its score is a continuous double that any lost float digit on the wire would change.
/// </summary>
public sealed class LogisticTestScorer : IFraudScorer
{
    public const string Version = "logistic-test-1";

    private static readonly double[] Weights = Enumerable.Range(0, FraudFeatures.Names.Length).Select(i => ((i * 37 % 11) - 5) / 7.0).ToArray();

    public ValueTask<FraudScore> ScoreAsync(FraudFeatures features, CancellationToken ct)
    {
        var x = features.ToArray();
        var z = -1.5 + x.Select((v, i) => v * Weights[i]).Sum();
        return ValueTask.FromResult(new FraudScore(1 / (1 + Math.Exp(-z)), [], "logistic", Version));
    }
}

/// <summary>A primary that does what a test says: throw, hang until cancelled, answer nonsense, or answer.</summary>
public sealed class ScriptedScorer(Func<FraudFeatures, CancellationToken, Task<FraudScore>> behaviour) : IFraudScorer
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public async ValueTask<FraudScore> ScoreAsync(FraudFeatures features, CancellationToken ct)
    {
        Interlocked.Increment(ref _calls);
        return await behaviour(features, ct);
    }
}

public static class Samples
{
    /// <summary>Nothing suspicious: an established payer paying a usual amount.</summary>
    public static FraudFeatures Quiet() => new()
    {
        AmountLog = 1.7f, AmountToPayerMean = 1.1f, AmountZScore = 0.3f,
        PayerCount1m = 0, PayerCount1h = 1, PayerCount24h = 3,
        PayerSumLog1h = 1.7f, PayerSumLog24h = 2.1f, PayerHistoryLog = 2.2f,
        PayerAgeDays = 400, PayeeAgeDays = 900, PayerIdleDays = 0.2f,
        FirstPaymentToPayee = 0, PayeeDistinctPayers1h = 2, PayeeDistinctPayers24h = 12,
        PayerDistinctPayers24h = 1, CurrencyMismatch = 0, HourOfDay = 14, IsPurchase = 1,
    };

    /// <summary>An account takeover burst into a mule: velocity and fan-in rules fire.</summary>
    public static FraudFeatures Burst()
    {
        var f = Quiet();
        f.PayerCount1h = 12;
        f.PayeeDistinctPayers1h = 9;
        f.FirstPaymentToPayee = 1;
        return f;
    }

    /// <summary>Awkward floats: a CSV that lost digits or used a local culture would change them.</summary>
    public static FraudFeatures Awkward()
    {
        var f = Quiet();
        f.AmountLog = 1f / 3;
        f.AmountToPayerMean = 0.1f;
        f.AmountZScore = -1.0E-7f;
        f.PayerSumLog24h = 3.4028e+10f;
        f.PayeeAgeDays = 1234.5678f;
        f.HourOfDay = 23;
        return f;
    }
}
