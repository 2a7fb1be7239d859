using Ledger.FraudPipeline.Synthetic;

namespace Ledger.FraudPipeline.Tests;

/// <summary>One small synthetic world (seed 7), generated once and shared by the classes that only read it.</summary>
public sealed class SmallWorld
{
    public static readonly SyntheticOptions Options = SyntheticOptions.Small(7);

    private static readonly Lazy<IReadOnlyList<SyntheticPayment>> Lazy = new(() => SyntheticDataGenerator.Generate(Options));

    public static IReadOnlyList<SyntheticPayment> Rows => Lazy.Value;
}
