using System.Net.Http.Headers;
using System.Text;
using Ledger.Domain.Common;
using Ledger.FraudPipeline.Scoring;
using Ledger.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.FraudPipeline.ModelServer;

/// <summary>
/// SageMaker's inference-container contract (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html):
/// <c>GET /ping</c> answers 200 once the model is loaded (503 problem+json <c>model_not_loaded</c> otherwise);
/// <c>POST /invocations</c> takes one <c>text/csv</c> row of features (<see cref="SageMakerPayload"/>) and answers the
/// scorer's <see cref="ModelAnswer"/> as JSON; another content type is a 415, a malformed row a 400, both problem+json.
/// These endpoints carry no auth of their own: in the container SageMaker's IAM stands in front of them. A host that
/// maps them elsewhere decides who may call them (a score oracle helps whoever probes the model) with the returned
/// group's <c>RequireAuthorization</c>.
/// </summary>
public static class ModelServerEndpoints
{
    public const string ModelNotLoaded = "model_not_loaded";

    /// <summary>Rows are a few hundred bytes; SageMaker's own limit is 6 MB, ours is this.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>Maps <c>GET /ping</c> and <c>POST /invocations</c> serving the scorer that <paramref name="model"/> builds (once).</summary>
    public static RouteGroupBuilder MapModelServer(this IEndpointRouteBuilder endpoints, Func<IServiceProvider, IFraudScorer> model)
    {
        var served = new ServedModel(endpoints.ServiceProvider, model);
        var group = endpoints.MapGroup(string.Empty).WithTags("Model server (SageMaker container contract)");

        group.MapGet("/ping", () => Ping(served))
            .WithName("ModelServerPing")
            .WithSummary("200 when the model is loaded (SageMaker's health check).")
            .Produces(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        group.MapPost("/invocations", (HttpRequest request, CancellationToken ct) => Invoke(served, request, ct))
            .WithName("ModelServerInvoke")
            .WithSummary("Scores one text/csv row of the fraud features, in FraudFeatures.Names order.")
            // No .Accepts(text/csv): routing would then answer a bare 415 itself, before the handler can say what to send.
            .WithDescription("Body: text/csv, one row, no header, the FraudFeatures.Names columns in order, invariant culture.")
            .Produces<ModelAnswer>(StatusCodes.Status200OK, SageMakerPayload.ResponseContentType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        return group;
    }

    private static Results<Ok, ProblemHttpResult> Ping(ServedModel served) =>
        served.TryGet(out _, out var error) ? TypedResults.Ok() : NotLoaded(error);

    private static async Task<Results<JsonHttpResult<ModelAnswer>, ProblemHttpResult>> Invoke(ServedModel served, HttpRequest request, CancellationToken ct)
    {
        if (!IsCsv(request.ContentType))
        {
            return Problems.Create(StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Send text/csv.",
                $"The body must be text/csv (UTF-8): one row of {Features.FraudFeatures.Names.Length} numbers in this order: {string.Join(',', Features.FraudFeatures.Names)}.");
        }

        var body = await ReadBody(request, ct);
        if (body is null)
        {
            return Problems.Create(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge, "The request body is too large.",
                $"One row is a few hundred bytes; the limit is {MaxBodyBytes} bytes.");
        }

        if (!TryDecode(body, out var text))
        {
            return Problems.Validation("$", "The body is not valid UTF-8.");
        }

        if (SageMakerPayload.TryParse(text, out var features) is { } errors)
        {
            return Problems.Validation(errors, "The CSV row is not valid.");
        }

        if (!served.TryGet(out var scorer, out var error))
        {
            return NotLoaded(error);
        }

        var score = await scorer.ScoreAsync(features!, ct);
        return TypedResults.Json(new ModelAnswer(score.Score, score.Model, score.ModelVersion, score.Reasons), ModelAnswerJson.Default.ModelAnswer,
            SageMakerPayload.ResponseContentType);
    }

    private static ProblemHttpResult NotLoaded(string? error) =>
        Problems.Create(StatusCodes.Status503ServiceUnavailable, ModelNotLoaded, "The model is not loaded.", error);

    /// <summary>text/csv, with no charset or a UTF-8-compatible one.</summary>
    private static bool IsCsv(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)
            || !string.Equals(media.MediaType, SageMakerPayload.RequestContentType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return string.IsNullOrEmpty(media.CharSet)
            || string.Equals(media.CharSet, "utf-8", StringComparison.OrdinalIgnoreCase)
            || string.Equals(media.CharSet, "us-ascii", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The body, or null when it is over <see cref="MaxBodyBytes"/>.</summary>
    private static async Task<byte[]?> ReadBody(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static bool TryDecode(byte[] body, out string text)
    {
        try
        {
            text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(body);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = string.Empty;
            return false;
        }
    }

    /// <summary>
    /// The scorer, built on first use and kept once built. A factory that throws (a model file missing or corrupt)
    /// is asked again next time, so /ping turns 200 as soon as the model can load, and says why until then. No lock:
    /// two first calls may both build, one wins (factories resolve DI singletons, so both get the same model anyway).
    /// </summary>
    private sealed class ServedModel(IServiceProvider services, Func<IServiceProvider, IFraudScorer> factory)
    {
        private IFraudScorer? _scorer;

        public bool TryGet(out IFraudScorer scorer, out string? error)
        {
            error = null;
            if (Volatile.Read(ref _scorer) is { } ready)
            {
                scorer = ready;
                return true;
            }

            try
            {
                var built = factory(services);
                scorer = Interlocked.CompareExchange(ref _scorer, built, null) ?? built;
                return true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                scorer = null!;
                error = $"The model could not be loaded: {e.GetType().Name}: {e.Message}";
                return false;
            }
        }
    }
}
