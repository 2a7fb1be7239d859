using Ledger.FraudPipeline.Scoring;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.FraudPipeline.Tests.Scoring;

public sealed class fraud_scoring_registration
{
    private static ServiceProvider Build(Func<IServiceProvider, IFraudScorer>? model, params (string Key, string Value)[] settings)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();
        return new ServiceCollection().AddFraudScoring(config, model).BuildServiceProvider();
    }

    [Fact]
    public async Task the_default_is_the_in_process_model_behind_the_fallback()
    {
        using var sp = Build(_ => new LogisticTestScorer());

        var scorer = sp.GetRequiredService<IFraudScorer>();

        scorer.Should().BeOfType<ResilientScorer>();
        (await scorer.ScoreAsync(Samples.Quiet(), default)).ModelVersion.Should().Be(LogisticTestScorer.Version);
    }

    [Fact]
    public async Task rules_alone_when_configured_with_thresholds_from_fraud_rules()
    {
        using var sp = Build(null, ("Fraud:Scorer", "rules"), ("Fraud:Rules:PaymentsPerHour", "1"));

        var score = await sp.GetRequiredService<IFraudScorer>().ScoreAsync(Samples.Quiet(), default);

        sp.GetRequiredService<IFraudScorer>().Should().BeOfType<RulesScorer>();
        score.Reasons.Should().Equal("1 payments in the last hour");
    }

    [Fact]
    public void the_model_without_a_model_factory_fails_at_start_instead_of_silently_using_the_rules()
    {
        var build = () => Build(null);

        build.Should().Throw<InvalidOperationException>().WithMessage("*Fraud:Scorer=model*");
    }

    [Theory]
    [InlineData("", "eu-west-1", "EndpointName")]
    [InlineData("bad name!", "eu-west-1", "EndpointName")]
    [InlineData("fraud-model", "", "Region")]
    public void sagemaker_without_a_valid_endpoint_or_region_fails_at_start(string endpoint, string region, string named)
    {
        var build = () => Build(null, ("Fraud:Scorer", "sagemaker"), ("Fraud:SageMaker:EndpointName", endpoint), ("Fraud:SageMaker:Region", region));

        build.Should().Throw<InvalidOperationException>().WithMessage($"*Fraud:SageMaker:{named}*");
    }

    [Fact]
    public void an_unknown_scorer_fails_at_start_naming_the_choices()
    {
        var build = () => Build(null, ("Fraud:Scorer", "oracle"));

        build.Should().Throw<InvalidOperationException>().WithMessage("*'model', 'sagemaker' or 'rules'*");
    }
}
