using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.FraudPipeline.Features;

namespace Ledger.FraudPipeline.Scoring;

/// <summary>
/// The wire format between <see cref="SageMakerScorer"/> and the model server (SageMaker passes the body and content
/// type through unchanged). Request: <c>text/csv</c>, one row, no header, the <see cref="FraudFeatures.Names"/> columns
/// in that order, invariant culture, shortest round-trip float text — the format SageMaker's built-in algorithms take,
/// so the same endpoint could host an XGBoost model. Response: <c>application/json</c> <see cref="ModelAnswer"/>.
/// </summary>
public static class SageMakerPayload
{
    public const string RequestContentType = "text/csv";
    public const string ResponseContentType = "application/json";

    /// <summary>One CSV row; <c>float.ToString</c> gives the shortest text that parses back to the same float.</summary>
    public static string Format(FraudFeatures features) =>
        string.Join(',', features.ToArray().Select(v => v.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// Parses one row (a trailing line break is allowed). Returns null on success, or field errors keyed by feature
    /// name (<c>$</c> for the row as a whole) for a problem+json 400.
    /// </summary>
    public static Dictionary<string, string[]>? TryParse(string body, out FraudFeatures? features)
    {
        features = null;
        var row = body.TrimEnd('\r', '\n');
        if (row.Length == 0)
        {
            return Error("$", $"Send one CSV row of {FraudFeatures.Names.Length} numbers: {string.Join(',', FraudFeatures.Names)}.");
        }

        if (row.Contains('\n', StringComparison.Ordinal) || row.Contains('\r', StringComparison.Ordinal))
        {
            return Error("$", "Send exactly one CSV row per request: a real-time invocation scores one payment.");
        }

        var cells = row.Split(',');
        if (cells.Length != FraudFeatures.Names.Length)
        {
            return Error("$", $"Expected {FraudFeatures.Names.Length} values ({string.Join(',', FraudFeatures.Names)}), got {cells.Length}.");
        }

        var values = new float[cells.Length];
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (var i = 0; i < cells.Length; i++)
        {
            if (!float.TryParse(cells[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
            {
                errors[FraudFeatures.Names[i]] = ["must be a finite number (invariant culture, e.g. 12.5 or 1E-07)"];
            }
        }

        if (errors.Count > 0)
        {
            return errors;
        }

        features = FraudFeatures.FromArray(values);
        return null;
    }

    private static Dictionary<string, string[]> Error(string field, string message) => new(StringComparer.Ordinal) { [field] = [message] };
}

/// <summary>The model server's answer to one row: the score in [0, 1], which model and version, and its reasons.</summary>
public sealed record ModelAnswer(double Score, string Model, string ModelVersion, IReadOnlyList<string> Reasons);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ModelAnswer))]
internal sealed partial class ModelAnswerJson : JsonSerializerContext;
