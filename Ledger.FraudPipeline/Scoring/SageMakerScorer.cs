using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Ledger.FraudPipeline.Features;
using Microsoft.Extensions.Options;

namespace Ledger.FraudPipeline.Scoring;

/// <summary>Configuration section <c>Fraud:SageMaker</c>: which real-time endpoint, in which region.</summary>
public sealed partial class SageMakerOptions
{
    public const string Section = "Fraud:SageMaker";

    /// <summary>The SageMaker endpoint's name (letters, digits and hyphens, at most 63).</summary>
    public string EndpointName { get; set; } = string.Empty;

    /// <summary>The AWS region, e.g. <c>eu-west-1</c>; also the SigV4 signing region.</summary>
    public string Region { get; set; } = string.Empty;

    /// <summary>Overrides <c>https://runtime.sagemaker.{Region}.amazonaws.com</c> (a VPC endpoint, or a test's fake runtime).</summary>
    public Uri? ServiceUrl { get; set; }

    public Uri BaseUrl => ServiceUrl ?? new Uri($"https://runtime.sagemaker.{Region}.amazonaws.com");

    /// <summary>The reasons this configuration cannot work, empty when it can (checked at start, not on first call).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!EndpointNamePattern().IsMatch(EndpointName))
        {
            problems.Add($"{Section}:EndpointName must be a SageMaker endpoint name (letters, digits, hyphens; at most 63).");
        }

        if (!RegionPattern().IsMatch(Region))
        {
            problems.Add($"{Section}:Region must be an AWS region such as eu-west-1.");
        }

        if (ServiceUrl is { IsAbsoluteUri: false } || ServiceUrl is { Scheme: not ("https" or "http") })
        {
            problems.Add($"{Section}:ServiceUrl must be an absolute http(s) URL.");
        }

        return problems;
    }

    [GeneratedRegex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")]
    private static partial Regex EndpointNamePattern();

    [GeneratedRegex("^[a-z]{2}(-[a-z]+)+-[0-9]+$")]
    private static partial Regex RegionPattern();
}

/// <summary>
/// Scores on a SageMaker real-time endpoint: <c>POST {BaseUrl}/endpoints/{EndpointName}/invocations</c> with the
/// features as one <c>text/csv</c> row (<see cref="SageMakerPayload"/>), <c>Accept: application/json</c>, SigV4-signed
/// by <see cref="SageMakerSigningHandler"/> on the named HttpClient. Any non-2xx answer or unreadable body throws
/// <see cref="SageMakerInvocationException"/>: <see cref="ResilientScorer"/> is what turns failure into a decision.
/// </summary>
public sealed class SageMakerScorer(IHttpClientFactory clients, IOptions<SageMakerOptions> options) : IFraudScorer
{
    public const string HttpClientName = "sagemaker-runtime";

    /// <summary>SigV4's service name for the runtime (the endpoint's host says <c>runtime.sagemaker</c>, the signature says this).</summary>
    public const string SigningService = "sagemaker";

    private const int MaxAnswerBytes = 64 * 1024;

    private readonly SageMakerOptions _options = options.Value;

    public async ValueTask<FraudScore> ScoreAsync(FraudFeatures features, CancellationToken ct)
    {
        var uri = new Uri($"{_options.BaseUrl.AbsoluteUri.TrimEnd('/')}/endpoints/{_options.EndpointName}/invocations");
        using var request = new HttpRequestMessage(HttpMethod.Post, uri);
        request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(SageMakerPayload.Format(features)));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(SageMakerPayload.RequestContentType);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(SageMakerPayload.ResponseContentType));

        var http = clients.CreateClient(HttpClientName);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var body = await ReadCapped(response.Content, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw SageMakerInvocationException.From(response, body);
        }

        ModelAnswer? answer;
        try
        {
            answer = JsonSerializer.Deserialize(body, ModelAnswerJson.Default.ModelAnswer);
        }
        catch (JsonException e)
        {
            throw new SageMakerInvocationException(response.StatusCode, null, "The endpoint's answer is not the model server's JSON.", e);
        }

        if (answer is null || !(answer.Score is >= 0 and <= 1) || string.IsNullOrEmpty(answer.ModelVersion))
        {
            throw new SageMakerInvocationException(response.StatusCode, null, "The endpoint's answer has no score in [0, 1] or no model version.");
        }

        return new FraudScore(answer.Score, answer.Reasons ?? [], "sagemaker:" + _options.EndpointName, answer.ModelVersion);
    }

    private static async Task<byte[]> ReadCapped(HttpContent content, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxAnswerBytes)
            {
                throw new SageMakerInvocationException(HttpStatusCode.OK, null, $"The endpoint's answer is over {MaxAnswerBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}

/// <summary>
/// A SageMaker runtime call that did not produce a score: the HTTP status, AWS's error type
/// (<c>x-amzn-ErrorType</c>: InvalidSignatureException, ModelError, ValidationError, ThrottlingException …) and message.
/// </summary>
public sealed class SageMakerInvocationException : Exception
{
    public SageMakerInvocationException(HttpStatusCode statusCode, string? errorType, string message, Exception? inner = null)
        : base($"SageMaker runtime answered {(int)statusCode}{(errorType is null ? "" : " " + errorType)}: {message}", inner)
    {
        StatusCode = statusCode;
        ErrorType = errorType;
    }

    public SageMakerInvocationException()
    {
    }

    public SageMakerInvocationException(string message) : base(message)
    {
    }

    public SageMakerInvocationException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public HttpStatusCode StatusCode { get; }
    public string? ErrorType { get; }

    internal static SageMakerInvocationException From(HttpResponseMessage response, byte[] body)
    {
        // "x-amzn-ErrorType: InvalidSignatureException:http://internal.amazon.com/..." — the part before ':' is the type.
        var type = response.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.First().Split(':')[0] : null;
        string message;
        try
        {
            using var json = JsonDocument.Parse(body);
            message = json.RootElement.TryGetProperty("message", out var m) || json.RootElement.TryGetProperty("Message", out m)
                ? m.GetString() ?? string.Empty
                : string.Empty;
        }
        catch (JsonException)
        {
            message = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300));
        }

        return new SageMakerInvocationException(response.StatusCode, type, message.Length > 0 ? message : response.ReasonPhrase ?? "no message");
    }
}
