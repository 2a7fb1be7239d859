using Ledger.FraudPipeline.Features;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Fallback;
using Polly.Timeout;

namespace Ledger.FraudPipeline.Scoring;

/// <summary>Configuration section <c>Fraud:Resilience</c>: how long the primary scorer may take and when to stop asking it.</summary>
public sealed class ResilienceOptions
{
    public const string Section = "Fraud:Resilience";

    /// <summary>Past this the primary's answer is abandoned and the rules decide.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The circuit opens when at least this share of calls failed within <see cref="SamplingDuration"/>…</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>…and at least this many calls were made in it (Polly's minimum is 2).</summary>
    public int MinimumThroughput { get; set; } = 10;

    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit sends everything to the rules before one trial call to the primary.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>
/// The primary scorer (in-process model or SageMaker) behind a Polly pipeline: fallback ∘ circuit breaker ∘ timeout.
/// A primary that throws, answers a score outside [0, 1], takes longer than <see cref="ResilienceOptions.Timeout"/>, or
/// sits behind an open circuit is replaced by <see cref="RulesScorer"/>; the score then says <c>rules</c> and its first
/// reason is <see cref="FallbackReason"/>. Failures and timeouts count towards opening the circuit; the caller's own
/// cancellation does not, and is not turned into a decision.
/// </summary>
public sealed class ResilientScorer : IFraudScorer
{
    public const string FallbackReason = "model unavailable: rules decided";

    private readonly IFraudScorer _primary;
    private readonly RulesScorer _rules;
    private readonly ResiliencePipeline<FraudScore> _pipeline;
    private readonly CircuitBreakerStateProvider _circuit = new();

    public ResilientScorer(IFraudScorer primary, RulesScorer rules, IOptions<ResilienceOptions> options, TimeProvider time, ILogger<ResilientScorer> log)
    {
        _primary = primary;
        _rules = rules;
        var o = options.Value;

        // A primary failure is any exception except the caller giving up, or an impossible score.
        static bool Failed(Outcome<FraudScore> outcome, ResilienceContext context) => outcome switch
        {
            { Exception: OperationCanceledException } when context.CancellationToken.IsCancellationRequested => false,
            { Exception: not null } => true,
            { Result: var score } => !(score!.Score is >= 0 and <= 1),
        };

        _pipeline = new ResiliencePipelineBuilder<FraudScore> { TimeProvider = time }
            .AddFallback(new FallbackStrategyOptions<FraudScore>
            {
                ShouldHandle = args => ValueTask.FromResult(Failed(args.Outcome, args.Context)),
                FallbackAction = async args =>
                {
                    var features = args.Context.Properties.GetValue(FeaturesKey, new FraudFeatures());
                    var decided = await _rules.ScoreAsync(features, args.Context.CancellationToken);
                    return Outcome.FromResult(decided with { Reasons = [FallbackReason, .. decided.Reasons] });
                },
                OnFallback = args =>
                {
                    // The cause only (type and message): features and payments stay out of logs.
                    log.LogWarning("Fraud scorer {Primary} unavailable ({Cause}); rules decided.", _primary.GetType().Name,
                        args.Outcome.Exception is { } e ? $"{e.GetType().Name}: {e.Message}" : "score outside [0, 1]");
                    return default;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<FraudScore>
            {
                ShouldHandle = args => ValueTask.FromResult(Failed(args.Outcome, args.Context)),
                FailureRatio = o.FailureRatio,
                MinimumThroughput = o.MinimumThroughput,
                SamplingDuration = o.SamplingDuration,
                BreakDuration = o.BreakDuration,
                StateProvider = _circuit,
                OnOpened = args =>
                {
                    log.LogError("Fraud scorer {Primary} circuit opened for {Break}; the rules decide until it closes.", _primary.GetType().Name, args.BreakDuration);
                    return default;
                },
                OnClosed = _ =>
                {
                    log.LogInformation("Fraud scorer {Primary} circuit closed.", _primary.GetType().Name);
                    return default;
                },
            })
            .AddTimeout(new TimeoutStrategyOptions { Timeout = o.Timeout })
            .Build();
    }

    private static readonly ResiliencePropertyKey<FraudFeatures> FeaturesKey = new("fraud.features");

    /// <summary>Closed, Open, HalfOpen or Isolated — for readiness checks and dashboards.</summary>
    public CircuitState Circuit => _circuit.CircuitState;

    public async ValueTask<FraudScore> ScoreAsync(FraudFeatures features, CancellationToken ct)
    {
        var context = ResilienceContextPool.Shared.Get(ct);
        try
        {
            context.Properties.Set(FeaturesKey, features);
            return await _pipeline.ExecuteAsync(
                static (ctx, state) => state._primary.ScoreAsync(ctx.Properties.GetValue(FeaturesKey, new FraudFeatures()), ctx.CancellationToken),
                context,
                this);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}
