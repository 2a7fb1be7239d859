using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Ledger.Testing;

namespace Ledger.FraudPipeline.Tests.Scoring;

/// <summary>
/// A local stand-in for <c>runtime.sagemaker.{region}.amazonaws.com</c> on a real Kestrel port. Like AWS it refuses
/// with 403 what is not SigV4-signed by a known key for its region and the <c>sagemaker</c> service (checked by
/// <see cref="SigV4Verifier"/>), answers 404 for another operation than <c>POST /endpoints/{name}/invocations</c> and
/// 400 for an unknown endpoint; unlike AWS (which lets the container judge) it refuses a content type other than
/// text/csv itself with 415. What passes is forwarded to the model server's <c>/invocations</c>, and its answer comes
/// back as is (2xx) or as AWS's 424 ModelError.
/// </summary>
public sealed partial class FakeSageMakerRuntime : IAsyncDisposable
{
    public const string Region = "eu-west-1";
    public const string EndpointName = "ledger-fraud-model";
    public const string AccessKey = "AKIALEDGERTEST000001";
    public const string Secret = "ledger-test-secret/0123456789abcdefghijklmnopq";
    public const string SessionAccessKey = "ASIALEDGERTEST000002";
    public const string SessionSecret = "ledger-session-secret/abcdefghij0123456789";
    public const string SessionToken = "ledger-session-token//AQoDYXdzEJr1K0fake+token=";

    private static readonly Dictionary<string, SigV4Verifier.Key> Keys = new(StringComparer.Ordinal)
    {
        [AccessKey] = new(Secret, null),
        [SessionAccessKey] = new(SessionSecret, SessionToken),
    };

    private readonly WebApplication _app;
    private readonly HttpClient _toModel = new();
    private readonly Uri _modelServer;
    private int _received;
    private int _forwarded;

    private FakeSageMakerRuntime(Uri modelServer)
    {
        _modelServer = modelServer;
        Url = new Uri($"http://127.0.0.1:{Ports.Free()}");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(Url.ToString());
        _app = builder.Build();
        _app.Run(Handle);
    }

    public Uri Url { get; }

    /// <summary>Held before answering a verified invocation (a slow endpoint).</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Every request that reached the runtime, signed or not.</summary>
    public int Received => Volatile.Read(ref _received);

    /// <summary>Requests that passed every check and were forwarded to the model server.</summary>
    public int Forwarded => Volatile.Read(ref _forwarded);

    /// <summary>The last refusal's error type (x-amzn-ErrorType), for tests to say why.</summary>
    public string? LastRefusal { get; private set; }

    public static async Task<FakeSageMakerRuntime> StartAsync(Uri modelServer)
    {
        var runtime = new FakeSageMakerRuntime(modelServer);
        await runtime._app.StartAsync();
        return runtime;
    }

    private async Task Handle(HttpContext context)
    {
        Interlocked.Increment(ref _received);
        var request = context.Request;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();

        var rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var query = rawTarget.Contains('?', StringComparison.Ordinal) ? rawTarget[rawTarget.IndexOf('?', StringComparison.Ordinal)..] : "";
        var rawPath = query.Length > 0 ? rawTarget[..rawTarget.IndexOf('?', StringComparison.Ordinal)] : rawTarget;
        var headers = request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(',', h.Value.Select(v => v?.Trim())), StringComparer.OrdinalIgnoreCase);

        if (SigV4Verifier.Verify(request.Method, rawPath, query, headers, body, k => Keys.GetValueOrDefault(k), Region, "sagemaker", DateTimeOffset.UtcNow) is { } refusal)
        {
            await Refuse(context, StatusCodes.Status403Forbidden, refusal.ErrorType, refusal.Message);
            return;
        }

        var route = InvocationsPath().Match(rawPath);
        if (!HttpMethods.IsPost(request.Method) || !route.Success)
        {
            await Refuse(context, StatusCodes.Status404NotFound, "UnknownOperationException", $"Unknown operation {request.Method} {rawPath}.");
            return;
        }

        if (route.Groups[1].Value != EndpointName)
        {
            await Refuse(context, StatusCodes.Status400BadRequest, "ValidationError", $"Endpoint {route.Groups[1].Value} of account 000000000000 not found.");
            return;
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var media) || media.MediaType != "text/csv")
        {
            await Refuse(context, StatusCodes.Status415UnsupportedMediaType, "ValidationError", "This endpoint takes text/csv.");
            return;
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }

        Interlocked.Increment(ref _forwarded);
        using var forward = new HttpRequestMessage(HttpMethod.Post, new Uri(_modelServer, "/invocations")) { Content = new ByteArrayContent(body) };
        forward.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType!);
        using var answer = await _toModel.SendAsync(forward, context.RequestAborted);
        var answerBody = await answer.Content.ReadAsByteArrayAsync(context.RequestAborted);
        if (!answer.IsSuccessStatusCode)
        {
            await Refuse(context, StatusCodes.Status424FailedDependency, "ModelError",
                $"Received client error ({(int)answer.StatusCode}) from primary with message \"{System.Text.Encoding.UTF8.GetString(answerBody)}\".");
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = answer.Content.Headers.ContentType?.ToString();
        context.Response.Headers["x-Amzn-Invoked-Production-Variant"] = "AllTraffic";
        await context.Response.Body.WriteAsync(answerBody, context.RequestAborted);
    }

    private Task Refuse(HttpContext context, int status, string errorType, string message)
    {
        LastRefusal = errorType;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.Headers["x-amzn-ErrorType"] = errorType + ":http://internal.amazon.com/coral/com.amazon.coral.service/";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { message }), context.RequestAborted);
    }

    [GeneratedRegex("^/endpoints/([^/]+)/invocations$")]
    private static partial Regex InvocationsPath();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _toModel.Dispose();
    }
}
