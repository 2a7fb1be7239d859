using System.Text.Json;
using Ledger.FraudPipeline.Features;
using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;

namespace Ledger.FraudPipeline.Scoring;

/// <summary>The shipped model cannot be used: missing, unreadable, or trained on other features than this build
/// computes. Thrown at start, so the host can report it (health) instead of failing on the first payment.</summary>
public sealed class ModelLoadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The in-process scorer (the embedded default): the FastTree model shipped in <c>Model/</c>, loaded once at start.
/// ML.NET's <see cref="PredictionEngine{TSrc,TDst}"/> is not thread-safe, so engines come from a pool (created from
/// the one shared, immutable transformer, as ML.NET's own PredictionEnginePool does) and go back after each call.
/// </summary>
public sealed class ModelScorer : IFraudScorer
{
    private readonly ObjectPool<PredictionEngine<ModelInput, ModelOutput>> engines;

    private ModelScorer(MLContext ml, ITransformer model, ModelInfo info)
    {
        Info = info;
        engines = new DefaultObjectPool<PredictionEngine<ModelInput, ModelOutput>>(
            new EnginePolicy(ml, model), Environment.ProcessorCount * 2);
    }

    public ModelInfo Info { get; }

    /// <summary>Where the build copies the shipped model: <c>Model/</c> beside the assemblies.</summary>
    public static string ShippedDirectory => Path.Combine(AppContext.BaseDirectory, "Model");

    /// <summary>
    /// Loads <see cref="ModelInfo.ModelFile"/> and <see cref="ModelInfo.InfoFile"/> from the directory (the shipped
    /// one by default), checks the model was trained on this build's <see cref="FraudFeatures.Names"/>, and scores a
    /// probe row so a broken file fails here, not on a payment.
    /// </summary>
    public static ModelScorer Load(string? directory = null)
    {
        directory ??= ShippedDirectory;
        var modelPath = Path.Combine(directory, ModelInfo.ModelFile);
        var infoPath = Path.Combine(directory, ModelInfo.InfoFile);
        foreach (var path in new[] { modelPath, infoPath })
        {
            if (!File.Exists(path))
            {
                throw new ModelLoadException($"The fraud model is not there: {path} is missing (ops/train-model writes it).");
            }
        }

        ModelInfo info;
        try
        {
            info = JsonSerializer.Deserialize<ModelInfo>(File.ReadAllText(infoPath), ModelInfo.Json)
                ?? throw new ModelLoadException($"{infoPath} is empty.");
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{infoPath} is not a model description: {e.Message}", e);
        }

        if (info.Features is null || !info.Features.SequenceEqual(FraudFeatures.Names))
        {
            throw new ModelLoadException(
                $"The fraud model {info.ModelVersion} was trained on features [{string.Join(", ", info.Features ?? [])}] " +
                $"but this build computes [{string.Join(", ", FraudFeatures.Names)}]: retrain with ops/train-model.");
        }

        try
        {
            var ml = new MLContext(seed: info.Seed);
            var model = ml.Model.Load(modelPath, out _);
            var scorer = new ModelScorer(ml, model, info);
            scorer.Score(new FraudFeatures());
            return scorer;
        }
        catch (Exception e) when (e is not ModelLoadException)
        {
            throw new ModelLoadException($"The fraud model {modelPath} cannot be loaded: {e.Message}", e);
        }
    }

    /// <summary>The calibrated probability of fraud, in [0, 1].</summary>
    public double Score(FraudFeatures features)
    {
        var engine = engines.Get();
        try
        {
            var p = engine.Predict(new ModelInput { Features = features.ToArray() }).Probability;
            return float.IsFinite(p)
                ? Math.Clamp(p, 0, 1)
                : throw new InvalidOperationException($"The fraud model returned {p} for features [{string.Join(", ", features.ToArray())}].");
        }
        finally
        {
            engines.Return(engine);
        }
    }

    public ValueTask<FraudScore> ScoreAsync(FraudFeatures features, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var score = Score(features);
        // No reasons of its own: a tree ensemble gives no honest per-row attribution. Human-readable reasons are
        // FraudExplainer.Explain, which the processor adds where the decision warrants (ScoringParts.Explain).
        return ValueTask.FromResult(new FraudScore(score, [], Info.Model, Info.ModelVersion));
    }

    private sealed class EnginePolicy(MLContext ml, ITransformer model) : PooledObjectPolicy<PredictionEngine<ModelInput, ModelOutput>>
    {
        private readonly Microsoft.ML.Data.SchemaDefinition schema = ModelInput.Schema();

        public override PredictionEngine<ModelInput, ModelOutput> Create() =>
            ml.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model, inputSchemaDefinition: schema);

        public override bool Return(PredictionEngine<ModelInput, ModelOutput> obj) => true;
    }
}
