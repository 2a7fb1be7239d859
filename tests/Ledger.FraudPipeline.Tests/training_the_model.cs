using System.Diagnostics;
using Ledger.FraudPipeline.Scoring;
using Ledger.FraudPipeline.Synthetic;
using Ledger.FraudPipeline.Training;

namespace Ledger.FraudPipeline.Tests;

public class training_the_model
{
    private static readonly TrainingSettings Quick = new() { Trees = 60 };

    [Fact]
    public void the_split_is_by_time_so_the_model_is_judged_on_a_later_period_than_it_learned_from()
    {
        var (train, holdout) = ModelTrainer.SplitByTime(SmallWorld.Rows, 0.25);

        (train.Count + holdout.Count).Should().Be(SmallWorld.Rows.Count);
        train.Max(r => r.Facts.At).Should().BeBefore(holdout.Min(r => r.Facts.At));
        ((double)holdout.Count / SmallWorld.Rows.Count).Should().BeInRange(0.15, 0.35);
    }

    [Fact]
    public void recall_at_one_percent_false_positives_thresholds_at_the_legit_99th_percentile()
    {
        var scored = Enumerable.Range(0, 100).Select(i => (i / 100.0, false))
            .Concat([(0.995, true), (0.5, true), (0.999, true)]).ToList();

        var (recall, threshold, fpr) = Evaluation.RecallAtFpr(scored, 0.01);

        threshold.Should().Be(0.98);
        recall.Should().BeApproximately(2 / 3.0, 1e-9);
        fpr.Should().Be(0.01);
    }

    [Fact]
    public void an_operating_point_flags_scores_at_or_above_its_threshold()
    {
        var scored = new List<(double, bool)> { (0.9, true), (0.5, true), (0.2, true), (0.5, false), (0.1, false), (0.0, false), (0.0, false) };

        Evaluation.AtThreshold(scored, 0.5).Should().Be((2 / 3.0, 0.25));
    }

    [Fact]
    public void a_small_training_run_beats_a_sane_floor_on_held_out_data_and_repeats_exactly()
    {
        var options = SyntheticOptions.Small(5);
        var at = DateTimeOffset.UnixEpoch;

        var first = ModelTrainer.Train(options, Quick, "test", at).Info;
        var second = ModelTrainer.Train(options, Quick, "test", at).Info;

        first.Rows.HoldoutFraud.Should().BeGreaterThan(20);
        first.Metrics.AucPr.Should().BeGreaterThan(0.5, "fraud is 1 % of rows: a random scorer gets 0.01");
        first.Metrics.RecallAt1PctFpr.Should().BeGreaterThan(0.5);
        second.Metrics.Should().BeEquivalentTo(first.Metrics);
        second.Rows.Should().Be(first.Rows);
    }

    [Fact]
    public async Task the_train_verb_runs_before_the_web_host_and_writes_a_model_the_scorer_loads()
    {
        var dir = Directory.CreateTempSubdirectory("ledger-train-").FullName;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // No connection string: the web host would refuse to build, the train verb needs none.
            Environment = { ["ConnectionStrings__Ledger"] = null },
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "Ledger.FraudPipeline.dll"), "train", "--seed", "3",
                     "--customers", "300", "--merchants", "40", "--days", "60", "--warmup", "14", "--trees", "30",
                     "--version", "t1", "--out", dir })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(deadline.Token);

        process.ExitCode.Should().Be(0, await errors);
        (await output).Should().Contain("AUC-PR (held out):").And.Contain("recall at 1% FPR (held out):");
        var scorer = ModelScorer.Load(dir);
        (scorer.Info.ModelVersion, scorer.Info.Seed).Should().Be(("t1", 3));
    }

    [Fact]
    public void the_train_verb_refuses_an_unknown_option()
    {
        TrainCommand.Run(["--sede", "42"]).Should().Be(2);
    }
}
