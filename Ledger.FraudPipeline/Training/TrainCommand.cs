using System.Diagnostics;
using System.Globalization;
using Ledger.FraudPipeline.Scoring;
using Ledger.FraudPipeline.Synthetic;

namespace Ledger.FraudPipeline.Training;

/// <summary>
/// <c>Ledger.FraudPipeline train [--seed N] [--out DIR] [--customers N] [--merchants N] [--days N] [--warmup N]
/// [--fraud-rate X] [--trees N] [--version V]</c>: generates the synthetic history, trains, prints the held-out
/// metrics and writes the model and its JSON to DIR. Runs before (and instead of) the web host.
/// </summary>
public static class TrainCommand
{
    public static int Run(string[] args)
    {
        Dictionary<string, string> opts;
        try
        {
            opts = Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }

        var defaults = new SyntheticOptions();
        var settings = new TrainingSettings();
        var generator = defaults with
        {
            Seed = Int(opts, "seed", defaults.Seed),
            Customers = Int(opts, "customers", defaults.Customers),
            Merchants = Int(opts, "merchants", defaults.Merchants),
            Days = Int(opts, "days", defaults.Days),
            WarmupDays = Int(opts, "warmup", defaults.WarmupDays),
            FraudRate = opts.TryGetValue("fraud-rate", out var rate) ? double.Parse(rate, CultureInfo.InvariantCulture) : defaults.FraudRate,
        };
        settings = settings with { Trees = Int(opts, "trees", settings.Trees) };
        var outDir = opts.GetValueOrDefault("out") ?? Path.Combine(Environment.CurrentDirectory, "model-out");
        var trainedAt = DateTimeOffset.UtcNow;
        var version = opts.GetValueOrDefault("version") ?? $"{trainedAt:yyyy.MM.dd}-s{generator.Seed}";

        Console.WriteLine($"generating: seed {generator.Seed}, {generator.Customers} customers, {generator.Merchants} merchants, " +
                          $"{generator.WarmupDays} warm-up + {generator.Days} days, fraud rate {generator.FraudRate:P1}");
        var clock = Stopwatch.StartNew();
        var trained = ModelTrainer.Train(generator, settings, version, trainedAt);
        var seconds = clock.Elapsed.TotalSeconds;
        trained.Save(outDir);

        var i = trained.Info;
        Console.WriteLine($"train (earlier {1 - settings.HoldoutShare:P0} of the period): {i.Rows.Train} rows, {i.Rows.TrainFraud} fraud");
        Console.WriteLine($"held out (later {settings.HoldoutShare:P0}):            {i.Rows.Holdout} rows, {i.Rows.HoldoutFraud} fraud");
        Console.WriteLine($"AUC-PR (held out):            {i.Metrics.AucPr:F4}");
        Console.WriteLine($"AUC-ROC (held out):           {i.Metrics.AucRoc:F4}");
        Console.WriteLine($"recall at 1% FPR (held out):  {i.Metrics.RecallAt1PctFpr:F4}  " +
                          $"(threshold {i.Metrics.ThresholdAt1PctFpr:F4}, realised FPR {i.Metrics.FalsePositiveRate:P2})");
        foreach (var (scenario, recall) in i.Metrics.RecallByScenario)
        {
            Console.WriteLine($"  recall {scenario,-18} {recall:F4}");
        }

        foreach (var point in i.Metrics.OperatingPoints)
        {
            Console.WriteLine($"  score >= {point.Threshold,-4}: recall {point.Recall:F4}, FPR {point.FalsePositiveRate:P3}");
        }

        Console.WriteLine("feature importance (gain): " + string.Join(", ", trained.Importance.Take(8).Select(x => $"{x.Feature} {x.Gain:F2}")));
        Console.WriteLine($"model {i.Model} {i.ModelVersion} written to {Path.GetFullPath(outDir)} " +
                          $"({new FileInfo(Path.Combine(outDir, ModelInfo.ModelFile)).Length / 1024} KiB) in {seconds:F1} s");
        return 0;
    }

    private static Dictionary<string, string> Parse(string[] args)
    {
        var known = new HashSet<string> { "seed", "out", "customers", "merchants", "days", "warmup", "fraud-rate", "trees", "version" };
        var opts = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var k = 0; k < args.Length; k += 2)
        {
            var name = args[k].StartsWith("--", StringComparison.Ordinal) ? args[k][2..] : string.Empty;
            if (!known.Contains(name) || k + 1 >= args.Length)
            {
                throw new ArgumentException($"usage: train [--{string.Join(" N] [--", known)} N]; bad argument '{args[k]}'");
            }

            opts[name] = args[k + 1];
        }

        return opts;
    }

    private static int Int(Dictionary<string, string> opts, string name, int fallback) =>
        opts.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
