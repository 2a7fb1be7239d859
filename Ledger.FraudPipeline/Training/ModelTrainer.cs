using Ledger.FraudPipeline.Features;
using Ledger.FraudPipeline.Scoring;
using Ledger.FraudPipeline.Synthetic;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace Ledger.FraudPipeline.Training;

/// <summary>Boosted-tree settings. The defaults are what ops/train-model ships; tests use fewer trees.</summary>
public sealed record TrainingSettings
{
    public int Trees { get; init; } = 200;
    public int Leaves { get; init; } = 31;
    public int MinimumExamplesPerLeaf { get; init; } = 20;
    public double LearningRate { get; init; } = 0.1;

    /// <summary>The later share of the emitted period held out for evaluation (never seen in training).</summary>
    public double HoldoutShare { get; init; } = 0.25;
}

/// <summary>A trained model, the schema it was trained on, and the metadata that ships with it.</summary>
public sealed record TrainedModel(ITransformer Model, DataViewSchema InputSchema, ModelInfo Info, MLContext Context,
    IReadOnlyList<(string Feature, double Gain)> Importance)
{
    /// <summary>Writes <see cref="ModelInfo.ModelFile"/> and <see cref="ModelInfo.InfoFile"/> into the directory.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        Context.Model.Save(Model, InputSchema, Path.Combine(directory, ModelInfo.ModelFile));
        File.WriteAllText(Path.Combine(directory, ModelInfo.InfoFile),
            System.Text.Json.JsonSerializer.Serialize(Info, ModelInfo.Json) + "\n");
    }
}

/// <summary>
/// Trains the fraud classifier on synthetic data with a time-ordered split: train on the earlier payments, evaluate
/// on the later ones, as the model will be used. FastTree (gradient-boosted trees, managed code) with one thread and
/// fixed seeds, so the same generator seed gives the same model and the same metrics.
/// </summary>
public static class ModelTrainer
{
    /// <summary>Score thresholds whose held-out recall and false-positive rate are reported, for choosing
    /// decision thresholds.</summary>
    public static readonly double[] OperatingThresholds = [0.01, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9];

    public static (List<SyntheticPayment> Train, List<SyntheticPayment> Holdout) SplitByTime(
        IReadOnlyList<SyntheticPayment> rows, double holdoutShare)
    {
        var first = rows.Min(r => r.Facts.At);
        var last = rows.Max(r => r.Facts.At);
        var cutoff = first + ((last - first) * (1 - holdoutShare));
        return (rows.Where(r => r.Facts.At < cutoff).ToList(), rows.Where(r => r.Facts.At >= cutoff).ToList());
    }

    public static TrainedModel Train(SyntheticOptions generator, TrainingSettings settings, string modelVersion,
        DateTimeOffset trainedAt)
    {
        var rows = SyntheticDataGenerator.Generate(generator);
        var (train, holdout) = SplitByTime(rows, settings.HoldoutShare);
        if (train.Count(r => r.IsFraud) == 0 || holdout.Count(r => r.IsFraud) == 0)
        {
            throw new InvalidOperationException("Both sides of the time split need fraud rows: generate more days or customers.");
        }

        var ml = new MLContext(seed: generator.Seed);
        var schema = ModelInput.Schema();
        var trainView = ml.Data.LoadFromEnumerable(train.Select(ToInput), schema);
        var trainer = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            LabelColumnName = nameof(ModelInput.Label),
            FeatureColumnName = nameof(ModelInput.Features),
            NumberOfTrees = settings.Trees,
            NumberOfLeaves = settings.Leaves,
            MinimumExampleCountPerLeaf = settings.MinimumExamplesPerLeaf,
            LearningRate = settings.LearningRate,
            NumberOfThreads = 1,
            Seed = generator.Seed,
            FeatureSelectionSeed = generator.Seed,
        });
        var model = trainer.Fit(trainView);

        var predictions = model.Transform(ml.Data.LoadFromEnumerable(holdout.Select(ToInput), schema));
        var holdoutMetrics = ml.BinaryClassification.Evaluate(predictions, nameof(ModelInput.Label));
        var probabilities = predictions.GetColumn<float>(nameof(ModelOutput.Probability)).ToArray();
        var scored = holdout.Select((r, i) => ((double)probabilities[i], r.IsFraud)).ToList();
        var (recall, threshold, fpr) = Evaluation.RecallAtFpr(scored, 0.01);
        var byScenario = Scenarios.Fraud
            .Where(s => holdout.Any(r => r.Scenario == s))
            .ToDictionary(s => s, s =>
            {
                var these = holdout.Select((r, i) => (r, p: probabilities[i])).Where(x => x.r.Scenario == s).ToList();
                return Math.Round((double)these.Count(x => x.p > threshold) / these.Count, 4);
            });

        var weights = default(VBuffer<float>);
        model.Model.SubModel.GetFeatureWeights(ref weights);
        var gains = weights.DenseValues().ToArray();
        var importance = FraudFeatures.Names.Select((n, i) => (n, (double)gains[i])).OrderByDescending(x => x.Item2).ToList();

        var info = new ModelInfo(
            ModelInfo.FastTree,
            modelVersion,
            trainedAt,
            generator.Seed,
            new ModelInfo.GeneratorSettings(generator.Customers, generator.Merchants, generator.Days, generator.WarmupDays, generator.FraudRate),
            new ModelInfo.RowCounts(train.Count, train.Count(r => r.IsFraud), holdout.Count, holdout.Count(r => r.IsFraud)),
            new ModelInfo.HoldoutMetrics(
                Math.Round(holdoutMetrics.AreaUnderPrecisionRecallCurve, 4),
                Math.Round(holdoutMetrics.AreaUnderRocCurve, 4),
                Math.Round(recall, 4),
                threshold,
                Math.Round(fpr, 5),
                byScenario,
                OperatingThresholds.Select(t =>
                {
                    var (r, f) = Evaluation.AtThreshold(scored, t);
                    return new ModelInfo.OperatingPoint(t, Math.Round(r, 4), Math.Round(f, 5));
                }).ToList()),
            FraudFeatures.Names);
        return new TrainedModel(model, trainView.Schema, info, ml, importance);
    }

    public static ModelInput ToInput(SyntheticPayment row) => new() { Label = row.IsFraud, Features = row.Features.ToArray() };
}
