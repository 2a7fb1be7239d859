using Ledger.FraudPipeline.Features;

namespace Ledger.FraudPipeline.Scoring;

/// <summary>
/// A risk score for one payment: the probability-like score in [0, 1], the human-readable reasons the scorer can
/// give (rules name what they saw; a model may give none), and which model and version produced it.
/// </summary>
public sealed record FraudScore(double Score, IReadOnlyList<string> Reasons, string Model, string ModelVersion);

/// <summary>
/// Scores a payment's features. Three implementations (issue 6): the in-process ML.NET model (embedded default), a
/// SageMaker real-time endpoint (SigV4-signed InvokeEndpoint), and the rules (fallback behind a circuit breaker).
/// </summary>
public interface IFraudScorer
{
    ValueTask<FraudScore> ScoreAsync(FraudFeatures features, CancellationToken ct);
}
