using System.Text.Json;
using Ledger.FraudPipeline.Features;
using Ledger.FraudPipeline.Scoring;
using Ledger.FraudPipeline.Synthetic;

namespace Ledger.FraudPipeline.Tests;

/// <summary>The model committed in Ledger.FraudPipeline/Model, as the host loads it, on a world it was not trained on.</summary>
public class scoring_with_the_shipped_model
{
    private static readonly Lazy<ModelScorer> Shipped = new(() => ModelScorer.Load());

    /// <summary>Seed 7's world; the shipped model was trained on seed 42's.</summary>
    private static readonly IReadOnlyList<SyntheticPayment> Unseen = SmallWorld.Rows;

    [Fact]
    public void the_shipped_model_loads_with_the_version_and_metrics_of_its_json()
    {
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelScorer.ShippedDirectory, ModelInfo.InfoFile))).RootElement;

        Shipped.Value.Info.Model.Should().Be(ModelInfo.FastTree);
        Shipped.Value.Info.ModelVersion.Should().Be(json.GetProperty("modelVersion").GetString()).And.NotBeNullOrEmpty();
        Shipped.Value.Info.Metrics.AucPr.Should().BeGreaterThan(0.5);
        new FileInfo(Path.Combine(ModelScorer.ShippedDirectory, ModelInfo.ModelFile)).Length.Should().BeLessThan(2 * 1024 * 1024);
    }

    [Fact]
    public async Task a_takeover_burst_scores_far_above_a_typical_legit_payment_and_says_why()
    {
        var burst = Unseen.Where(r => r.Scenario == Scenarios.AccountTakeover).MaxBy(r => r.Features.PayerCount1m)!;
        burst.Features.PayerCount1m.Should().BeGreaterThanOrEqualTo(FraudExplainer.BurstPerMinute);
        var legit = Unseen.Where(r => !r.IsFraud).Select(r => Shipped.Value.Score(r.Features)).Order().ToList();
        var typicalLegit = legit[legit.Count / 2];

        var score = await Shipped.Value.ScoreAsync(burst.Features, CancellationToken.None);

        score.Score.Should().BeInRange(0, 1);
        score.Score.Should().BeGreaterThan(Shipped.Value.Info.Metrics.ThresholdAt1PctFpr).And.BeGreaterThan(20 * typicalLegit);
        score.Reasons.Should().BeEmpty("explanations are FraudExplainer's, added by the processor");
        FraudExplainer.Explain(burst.Features).Should().Contain(r => r.Contains("in the last minute", StringComparison.Ordinal));
        (score.Model, score.ModelVersion).Should().Be((Shipped.Value.Info.Model, Shipped.Value.Info.ModelVersion));
    }

    [Fact]
    public void on_an_unseen_world_most_fraud_scores_above_the_one_percent_false_positive_threshold()
    {
        var threshold = Shipped.Value.Info.Metrics.ThresholdAt1PctFpr;
        var fraud = Unseen.Where(r => r.IsFraud).ToList();
        var legit = Unseen.Where(r => !r.IsFraud).ToList();

        var caught = (double)fraud.Count(r => Shipped.Value.Score(r.Features) > threshold) / fraud.Count;
        var falseAlarms = (double)legit.Count(r => Shipped.Value.Score(r.Features) > threshold) / legit.Count;

        caught.Should().BeGreaterThan(0.7);
        falseAlarms.Should().BeLessThan(0.03);
    }

    [Fact]
    public async Task scoring_from_many_threads_at_once_gives_the_same_scores_as_one_at_a_time()
    {
        var rows = Unseen.Where((_, i) => i % 20 == 0).Take(400).Select(r => r.Features).ToList();
        var sequential = rows.Select(Shipped.Value.Score).ToList();

        var concurrent = await Task.WhenAll(rows.Select(f => Task.Run(async () =>
            (await Shipped.Value.ScoreAsync(f, CancellationToken.None)).Score)));

        concurrent.Should().Equal(sequential);
    }

    [Fact]
    public void a_missing_model_is_a_clear_error_naming_the_file()
    {
        var dir = Directory.CreateTempSubdirectory("ledger-model-").FullName;

        var act = () => ModelScorer.Load(dir);

        act.Should().Throw<ModelLoadException>().WithMessage($"*{Path.Combine(dir, ModelInfo.ModelFile)}*missing*");
    }

    [Fact]
    public void a_model_trained_on_other_features_is_refused_at_load()
    {
        var dir = CopyOfShipped();
        var path = Path.Combine(dir, ModelInfo.InfoFile);
        var info = JsonSerializer.Deserialize<ModelInfo>(File.ReadAllText(path), ModelInfo.Json)!;
        File.WriteAllText(path, JsonSerializer.Serialize(info with { Features = FraudFeatures.Names.Reverse().ToList() }, ModelInfo.Json));

        var act = () => ModelScorer.Load(dir);

        act.Should().Throw<ModelLoadException>().WithMessage("*trained on features*retrain*");
    }

    [Fact]
    public void a_corrupt_model_file_is_refused_at_load()
    {
        var dir = CopyOfShipped();
        File.WriteAllBytes(Path.Combine(dir, ModelInfo.ModelFile), [.. "not a zip"u8]);

        var act = () => ModelScorer.Load(dir);

        act.Should().Throw<ModelLoadException>().WithMessage("*cannot be loaded*");
    }

    private static string CopyOfShipped()
    {
        var dir = Directory.CreateTempSubdirectory("ledger-model-").FullName;
        foreach (var file in new[] { ModelInfo.ModelFile, ModelInfo.InfoFile })
        {
            File.Copy(Path.Combine(ModelScorer.ShippedDirectory, file), Path.Combine(dir, file));
        }

        return dir;
    }
}
