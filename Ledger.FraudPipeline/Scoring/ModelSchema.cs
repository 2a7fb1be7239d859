using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.FraudPipeline.Features;
using Microsoft.ML.Data;

namespace Ledger.FraudPipeline.Scoring;

/// <summary>The model's input row: <see cref="FraudFeatures.ToArray"/> as one vector, plus the label when training.</summary>
public sealed class ModelInput
{
    public bool Label { get; set; }

    public float[] Features { get; set; } = [];

    /// <summary>The vector's size is <see cref="FraudFeatures.Names"/>' length, declared at run time so it has one
    /// source.</summary>
    public static SchemaDefinition Schema()
    {
        var schema = SchemaDefinition.Create(typeof(ModelInput));
        schema[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FraudFeatures.Names.Length);
        return schema;
    }
}

/// <summary>What the binary classifier adds: the raw margin and the calibrated probability (Platt) we serve.</summary>
public sealed class ModelOutput
{
    public float Score { get; set; }

    public float Probability { get; set; }
}

/// <summary>The JSON shipped beside the model: what it is, how it was made, and how well it did on held-out data.</summary>
public sealed record ModelInfo(
    string Model,
    string ModelVersion,
    DateTimeOffset TrainedAt,
    int Seed,
    ModelInfo.GeneratorSettings Generator,
    ModelInfo.RowCounts Rows,
    ModelInfo.HoldoutMetrics Metrics,
    IReadOnlyList<string> Features)
{
    public const string FastTree = "ledger-fraud-fasttree";
    public const string ModelFile = "fraud-model.zip";
    public const string InfoFile = "fraud-model.json";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public sealed record GeneratorSettings(int Customers, int Merchants, int Days, int WarmupDays, double FraudRate);

    public sealed record RowCounts(int Train, int TrainFraud, int Holdout, int HoldoutFraud);

    /// <summary>On the held-out (later) period. <see cref="ThresholdAt1PctFpr"/> is the 99th percentile of the legit
    /// scores; <see cref="RecallAt1PctFpr"/> is the share of fraud scored above it.</summary>
    public sealed record HoldoutMetrics(double AucPr, double AucRoc, double RecallAt1PctFpr, double ThresholdAt1PctFpr,
        double FalsePositiveRate, IReadOnlyDictionary<string, double> RecallByScenario,
        IReadOnlyList<OperatingPoint> OperatingPoints);

    /// <summary>Recall and false-positive rate on the held-out rows when flagging scores at or above
    /// <see cref="Threshold"/>: what a decision threshold (Fraud:ReviewAt, Fraud:RejectAt) would do.</summary>
    public sealed record OperatingPoint(double Threshold, double Recall, double FalsePositiveRate);
}
