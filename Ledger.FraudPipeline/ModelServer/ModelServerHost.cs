using Ledger.FraudPipeline.Scoring;
using Ledger.ServiceDefaults;

namespace Ledger.FraudPipeline.ModelServer;

/// <summary>
/// The FraudPipeline process run as a SageMaker inference container: SageMaker starts the image as
/// <c>docker run image serve</c> (ops/fraud-model-server/Dockerfile sets <c>CMD ["serve"]</c> and
/// <c>SAGEMAKER_CONTAINER=1</c>). In that mode the process serves only <c>GET /ping</c> and <c>POST /invocations</c>
/// on port 8080, needs no database, Kafka or token issuer, and scores with the in-process model (or the rules when
/// <c>Fraud:Scorer=rules</c>; <c>sagemaker</c> would have the endpoint call itself and is refused).
/// </summary>
public static class ModelServerHost
{
    /// <summary>Where to listen; SageMaker requires port 8080 on all interfaces. Tests bind a loopback port.</summary>
    public const string UrlKey = "ModelServer:Url";

    public const string DefaultUrl = "http://0.0.0.0:8080";

    public static bool IsRequested(string[] args) =>
        args.Contains("serve", StringComparer.Ordinal) || Environment.GetEnvironmentVariable("SAGEMAKER_CONTAINER") == "1";

    /// <summary>Builds the container host; <paramref name="inProcessModel"/> is the built-in model (required unless <c>Fraud:Scorer=rules</c>).</summary>
    public static WebApplication Build(string[] args, Func<IServiceProvider, IFraudScorer>? inProcessModel)
    {
        var builder = WebApplication.CreateBuilder(args.Where(a => a != "serve").ToArray());
        builder.WebHost.UseUrls(builder.Configuration[UrlKey] ?? DefaultUrl);

        var choice = FraudScoringRegistration.ScorerChoice(builder.Configuration);
        Func<IServiceProvider, IFraudScorer> model = choice switch
        {
            FraudScoringRegistration.Rules => sp => sp.GetRequiredService<RulesScorer>(),
            FraudScoringRegistration.Model => inProcessModel ?? throw new InvalidOperationException(
                "The model server needs the in-process model and none was wired in; run it with Fraud__Scorer=rules or pass the model's factory."),
            _ => throw new InvalidOperationException("The model server cannot serve Fraud:Scorer=sagemaker: the endpoint would call itself."),
        };

        builder.Services.AddOptions<RulesOptions>().Bind(builder.Configuration.GetSection(RulesOptions.Section));
        builder.Services.AddSingleton<RulesScorer>();

        var app = builder.Build();
        app.UseExceptionHandler(error => error.Run(context => Problems.WriteAsync(context, StatusCodes.Status500InternalServerError,
            "internal_error", "Something went wrong on our side.", "The model failed to score this row.")));
        app.UseStatusCodePages(async status =>
        {
            var http = status.HttpContext;
            if (!http.Response.HasStarted && http.Response.ContentType is null)
            {
                var code = http.Response.StatusCode switch { 404 => "not_found", 405 => "method_not_allowed", var s => "http_" + s };
                await Problems.WriteAsync(http, http.Response.StatusCode, code, "The request could not be served.",
                    "This container serves GET /ping and POST /invocations only.");
            }
        });
        app.MapModelServer(model);
        return app;
    }

    public static void Run(string[] args, Func<IServiceProvider, IFraudScorer>? inProcessModel) => Build(args, inProcessModel).Run();
}
