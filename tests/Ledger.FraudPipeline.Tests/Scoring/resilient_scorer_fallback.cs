using Amazon.Runtime;
using Ledger.FraudPipeline.Scoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;

namespace Ledger.FraudPipeline.Tests.Scoring;

/// <summary>The primary scorer behind timeout, circuit breaker and fallback to the rules.</summary>
public sealed class resilient_scorer_fallback
{
    private static readonly RulesScorer Rules = new(Options.Create(new RulesOptions()));

    private static ResilientScorer Over(IFraudScorer primary, ResilienceOptions? options = null, TimeProvider? time = null) =>
        new(primary, Rules, Options.Create(options ?? new ResilienceOptions()), time ?? TimeProvider.System, NullLogger<ResilientScorer>.Instance);

    private static void ShouldBeTheRulesFallback(FraudScore score)
    {
        var rules = Rules.Score(Samples.Burst());
        score.Model.Should().Be("rules");
        score.ModelVersion.Should().Be(rules.ModelVersion);
        score.Score.Should().Be(rules.Score);
        score.Reasons.Should().Equal([ResilientScorer.FallbackReason, .. rules.Reasons]);
    }

    [Fact]
    public async Task a_working_primary_answers_unchanged()
    {
        var primary = new LogisticTestScorer();

        var score = await Over(primary).ScoreAsync(Samples.Burst(), default);

        score.Should().BeEquivalentTo(await primary.ScoreAsync(Samples.Burst(), default));
    }

    [Fact]
    public async Task a_primary_that_throws_leaves_the_decision_to_the_rules()
    {
        var primary = new ScriptedScorer((_, _) => throw new InvalidOperationException("model file corrupt"));

        ShouldBeTheRulesFallback(await Over(primary).ScoreAsync(Samples.Burst(), default));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(1.5)]
    [InlineData(-0.1)]
    public async Task a_primary_answering_a_score_outside_zero_to_one_is_not_believed(double nonsense)
    {
        var primary = new ScriptedScorer((_, _) => Task.FromResult(new FraudScore(nonsense, [], "broken", "v0")));

        ShouldBeTheRulesFallback(await Over(primary).ScoreAsync(Samples.Burst(), default));
    }

    [Fact]
    public async Task a_primary_slower_than_the_timeout_is_abandoned_and_the_rules_decide()
    {
        var primary = new ScriptedScorer(async (_, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(30), ct);
            return new FraudScore(0.9, [], "slow", "v1");
        });

        var score = await Over(primary, new ResilienceOptions { Timeout = TimeSpan.FromMilliseconds(100) }).ScoreAsync(Samples.Burst(), default);

        ShouldBeTheRulesFallback(score);
    }

    [Fact]
    public async Task the_callers_own_cancellation_is_not_turned_into_a_rules_decision()
    {
        var primary = new ScriptedScorer(async (_, ct) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return new FraudScore(0.9, [], "slow", "v1");
        });
        using var cts = new CancellationTokenSource();
        var scorer = Over(primary, new ResilienceOptions { Timeout = TimeSpan.FromSeconds(30) });

        var call = scorer.ScoreAsync(Samples.Burst(), cts.Token).AsTask();
        await cts.CancelAsync();

        await call.Invoking(c => c).Should().ThrowAsync<OperationCanceledException>();
        scorer.Circuit.Should().Be(CircuitState.Closed);
    }

    [Fact]
    public async Task a_bad_signature_on_sagemaker_falls_back_to_the_rules()
    {
        await using var model = await ModelServerInstance.StartAsync(_ => new LogisticTestScorer());
        await using var runtime = await FakeSageMakerRuntime.StartAsync(model.Url);
        // A generous timeout, so it is the 403 that this test sees fall back, not a slow first connection.
        using var sp = sagemaker_scorer_against_fake_runtime.Services(runtime.Url, new BasicAWSCredentials(FakeSageMakerRuntime.AccessKey, "wrong-secret"),
            settings: ("Fraud:Resilience:Timeout", "00:00:10"));

        var score = await sp.GetRequiredService<IFraudScorer>().ScoreAsync(Samples.Burst(), default);

        ShouldBeTheRulesFallback(score);
        runtime.Received.Should().Be(1);
        runtime.LastRefusal.Should().Be("InvalidSignatureException");
    }

    [Fact]
    public async Task a_slow_sagemaker_endpoint_times_out_and_the_rules_decide()
    {
        await using var model = await ModelServerInstance.StartAsync(_ => new LogisticTestScorer());
        await using var runtime = await FakeSageMakerRuntime.StartAsync(model.Url);
        runtime.Delay = TimeSpan.FromSeconds(20);
        using var sp = sagemaker_scorer_against_fake_runtime.Services(runtime.Url,
            new BasicAWSCredentials(FakeSageMakerRuntime.AccessKey, FakeSageMakerRuntime.Secret), settings: ("Fraud:Resilience:Timeout", "00:00:02"));

        var score = await sp.GetRequiredService<IFraudScorer>().ScoreAsync(Samples.Burst(), default);

        ShouldBeTheRulesFallback(score);
        runtime.Received.Should().Be(1, "the endpoint was asked, and its answer abandoned");
        runtime.Forwarded.Should().Be(0);
    }

    [Fact]
    public async Task the_circuit_opens_after_repeated_failures_stops_calling_sagemaker_and_closes_after_a_good_trial()
    {
        await using var model = await ModelServerInstance.StartAsync(_ => new LogisticTestScorer());
        await using var runtime = await FakeSageMakerRuntime.StartAsync(model.Url);
        var credentials = new SwitchableCredentials(FakeSageMakerRuntime.AccessKey, "wrong-secret");
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var sp = sagemaker_scorer_against_fake_runtime.Services(runtime.Url, credentials, s => s.AddSingleton<TimeProvider>(time),
            ("Fraud:Resilience:MinimumThroughput", "3"), ("Fraud:Resilience:FailureRatio", "0.5"),
            ("Fraud:Resilience:SamplingDuration", "00:01:00"), ("Fraud:Resilience:BreakDuration", "00:00:30"));
        var scorer = (ResilientScorer)sp.GetRequiredService<IFraudScorer>();

        for (var i = 0; i < 3; i++)
        {
            ShouldBeTheRulesFallback(await scorer.ScoreAsync(Samples.Burst(), default));
        }

        scorer.Circuit.Should().Be(CircuitState.Open);
        runtime.Received.Should().Be(3);

        credentials.Secret = FakeSageMakerRuntime.Secret; // the endpoint is healthy again, but the circuit is open
        for (var i = 0; i < 5; i++)
        {
            ShouldBeTheRulesFallback(await scorer.ScoreAsync(Samples.Burst(), default));
        }

        runtime.Received.Should().Be(3, "an open circuit does not call the endpoint");

        time.Advance(TimeSpan.FromSeconds(31));
        var trial = await scorer.ScoreAsync(Samples.Burst(), default);

        trial.Model.Should().Be("sagemaker:" + FakeSageMakerRuntime.EndpointName);
        scorer.Circuit.Should().Be(CircuitState.Closed);
        runtime.Received.Should().Be(4);
    }

    /// <summary>Credentials whose secret a test can change, as a rotated secret would.</summary>
    private sealed class SwitchableCredentials(string accessKey, string secret) : AWSCredentials
    {
        public string Secret { get; set; } = secret;

        public override ImmutableCredentials GetCredentials() => new(accessKey, Secret, null);
    }
}
