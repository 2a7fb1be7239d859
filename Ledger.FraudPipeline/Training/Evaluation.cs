namespace Ledger.FraudPipeline.Training;

/// <summary>Metrics computed here from scored rows, not taken from ML.NET's evaluator.</summary>
public static class Evaluation
{
    /// <summary>
    /// Recall at a false-positive budget: the threshold is the legit scores' (1 − fpr) quantile (nearest rank), a row
    /// is flagged when its score is strictly above it, so the realised false-positive rate is at most the budget even
    /// with ties. Returns the recall, the threshold, and the realised false-positive rate.
    /// </summary>
    public static (double Recall, double Threshold, double FalsePositiveRate) RecallAtFpr(
        IReadOnlyList<(double Score, bool IsFraud)> scored, double fpr)
    {
        var legit = scored.Where(s => !s.IsFraud).Select(s => s.Score).Order().ToArray();
        var fraud = scored.Where(s => s.IsFraud).Select(s => s.Score).ToArray();
        if (legit.Length == 0 || fraud.Length == 0)
        {
            throw new ArgumentException("Recall at a false-positive rate needs both legit and fraud rows.", nameof(scored));
        }

        var rank = (int)Math.Ceiling((1 - fpr) * legit.Length) - 1;
        var threshold = legit[Math.Clamp(rank, 0, legit.Length - 1)];
        var recall = (double)fraud.Count(s => s > threshold) / fraud.Length;
        var realised = (double)legit.Count(s => s > threshold) / legit.Length;
        return (recall, threshold, realised);
    }

    /// <summary>Recall and false-positive rate when flagging scores at or above <paramref name="threshold"/>.</summary>
    public static (double Recall, double FalsePositiveRate) AtThreshold(IReadOnlyList<(double Score, bool IsFraud)> scored, double threshold)
    {
        var fraud = scored.Count(s => s.IsFraud);
        var legit = scored.Count - fraud;
        return ((double)scored.Count(s => s.IsFraud && s.Score >= threshold) / Math.Max(1, fraud),
            (double)scored.Count(s => !s.IsFraud && s.Score >= threshold) / Math.Max(1, legit));
    }
}
