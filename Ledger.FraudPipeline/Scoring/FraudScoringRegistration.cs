using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ledger.FraudPipeline.Scoring;

public static class FraudScoringRegistration
{
    /// <summary>Configuration key choosing the scorer: <c>model</c> (default), <c>sagemaker</c> or <c>rules</c>.</summary>
    public const string ScorerKey = "Fraud:Scorer";

    public const string Model = "model";
    public const string SageMaker = "sagemaker";
    public const string Rules = "rules";

    /// <summary>
    /// Registers <see cref="IFraudScorer"/> as <c>Fraud:Scorer</c> says: <c>model</c> — the in-process model from
    /// <paramref name="inProcessModel"/> behind <see cref="ResilientScorer"/>; <c>sagemaker</c> — <see cref="SageMakerScorer"/>
    /// behind <see cref="ResilientScorer"/>; <c>rules</c> — <see cref="RulesScorer"/> alone. <see cref="RulesScorer"/> is
    /// always registered (it is the fallback). A configuration that cannot work throws here, at start, rather than
    /// falling back to the rules on every payment without anyone noticing.
    /// </summary>
    public static IServiceCollection AddFraudScoring(this IServiceCollection services, IConfiguration configuration,
        Func<IServiceProvider, IFraudScorer>? inProcessModel)
    {
        var scorer = ScorerChoice(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging();
        services.AddOptions<RulesOptions>().Bind(configuration.GetSection(RulesOptions.Section));
        services.AddOptions<ResilienceOptions>().Bind(configuration.GetSection(ResilienceOptions.Section));
        services.AddSingleton<RulesScorer>();

        switch (scorer)
        {
            case Rules:
                services.AddSingleton<IFraudScorer>(sp => sp.GetRequiredService<RulesScorer>());
                break;
            case Model:
                if (inProcessModel is null)
                {
                    throw new InvalidOperationException(
                        $"{ScorerKey}=model needs the in-process model, and none was wired in; set {ScorerKey} to 'rules' or 'sagemaker', or pass the model's factory.");
                }

                services.AddSingleton<IFraudScorer>(sp => Resilient(sp, inProcessModel(sp)));
                break;
            case SageMaker:
                AddSageMaker(services, configuration);
                services.AddSingleton<IFraudScorer>(sp => Resilient(sp, sp.GetRequiredService<SageMakerScorer>()));
                break;
        }

        return services;
    }

    /// <summary>The validated value of <c>Fraud:Scorer</c> (default <c>model</c>).</summary>
    public static string ScorerChoice(IConfiguration configuration)
    {
        var scorer = (configuration[ScorerKey] ?? Model).Trim().ToLowerInvariant();
        return scorer is Model or SageMaker or Rules
            ? scorer
            : throw new InvalidOperationException($"{ScorerKey} is '{configuration[ScorerKey]}'; expected 'model', 'sagemaker' or 'rules'.");
    }

    private static ResilientScorer Resilient(IServiceProvider sp, IFraudScorer primary) => new(
        primary,
        sp.GetRequiredService<RulesScorer>(),
        sp.GetRequiredService<IOptions<ResilienceOptions>>(),
        sp.GetRequiredService<TimeProvider>(),
        sp.GetRequiredService<ILogger<ResilientScorer>>());

    private static void AddSageMaker(IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(SageMakerOptions.Section);
        var options = section.Get<SageMakerOptions>() ?? new SageMakerOptions();
        if (options.Problems() is { Count: > 0 } problems)
        {
            throw new InvalidOperationException(string.Join(" ", problems));
        }

        services.AddOptions<SageMakerOptions>().Bind(section);

        // The standard AWS chain (environment variables AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN,
        // profiles, container and instance roles). Resolved on first use, not at start: a host that never scores on
        // SageMaker needs no credentials. Replace the AWSCredentials registration to sign with others.
        services.TryAddSingleton<AWSCredentials>(_ => DefaultAWSCredentialsIdentityResolver.GetCredentials());
        services.AddSingleton<SageMakerScorer>();
        services.AddHttpClient(SageMakerScorer.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // A redirect would be followed below the signer with a signature for another URL; AWS never redirects here.
                AllowAutoRedirect = false,
            })
            .AddHttpMessageHandler(sp => new SageMakerSigningHandler(sp.GetRequiredService<AWSCredentials>, options.Region));
    }
}
