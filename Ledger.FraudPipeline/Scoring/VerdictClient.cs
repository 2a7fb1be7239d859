using System.Net.Http.Headers;
using System.Text.Json;
using Ledger.ServiceDefaults;
using Polly;
using Polly.Retry;

namespace Ledger.FraudPipeline.Scoring;

/// <summary>
/// Sends verdicts to the ledger (CommandApi <c>POST /v1/fraud/verdicts</c>, section <c>Fraud:LedgerUrl</c>) as the
/// service role <c>fraud_service</c>. Retries briefly; a verdict that still cannot be delivered is not lost money —
/// the ledger's deadline lets the rules decide that payment.
/// </summary>
public sealed class VerdictClient
{
    private readonly HttpClient _http;
    private readonly AuthSettings _auth;
    private readonly TimeProvider _clock;
    private readonly ILogger<VerdictClient> _logger;
    private readonly ResiliencePipeline _retry;
    private (string Token, DateTimeOffset Expires) _token;

    public VerdictClient(HttpClient http, AuthSettings auth, TimeProvider clock, ILogger<VerdictClient> logger)
    {
        _http = http;
        _auth = auth;
        _clock = clock;
        _logger = logger;
        _retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<TaskCanceledException>(),
                MaxRetryAttempts = 3,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromMilliseconds(50),
            })
            .Build();
    }

    public async Task SendAsync(IReadOnlyList<Verdict> verdicts, CancellationToken ct)
    {
        if (verdicts.Count == 0)
        {
            return;
        }

        foreach (var (chunk, body) in Chunks(verdicts))
        {
            try
            {
                await _retry.ExecuteAsync(async token =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/fraud/verdicts") { Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } } };
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token());
                    using var response = await _http.SendAsync(request, token);
                    if ((int)response.StatusCode >= 500 || response.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
                    {
                        throw new HttpRequestException($"The ledger answered {(int)response.StatusCode}.");
                    }

                    if (!response.IsSuccessStatusCode)
                    {
                        // A 4xx is our bug, not a transient fault: retrying would not help.
                        _logger.LogError("The ledger refused {Count} verdict(s): {Status} {Body}", chunk.Count, (int)response.StatusCode, await response.Content.ReadAsStringAsync(token));
                    }
                }, ct);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                _logger.LogWarning(ex, "{Count} verdict(s) could not be delivered; the ledger's deadline will let the rules decide them.", chunk.Count);
            }
        }
    }

    /// <summary>The largest request body sent: under the ledger's 64 KB limit (SPEC; 413 above it) with room for the
    /// envelope. Rejected payments carry up to 20 reasons each, so a full 1,000 of them would not fit: measured at
    /// 1,000 payments/s, batches of 120 to 230 verdicts were refused whole and left to the deadline's rules.</summary>
    public const int MaxBodyBytes = RequestLimits.MaxBodyBytes - 4 * 1024;

    /// <summary>One call: its verdicts, and the body that carries them.</summary>
    public sealed record Call(List<Verdict> Verdicts, byte[] Body);

    /// <summary>Verdicts in order, cut where the next would take the body past <see cref="MaxBodyBytes"/> or the
    /// ledger's count limit per call. Each verdict is serialised once: the bytes that measured it make the body.</summary>
    public static IEnumerable<Call> Chunks(IReadOnlyList<Verdict> verdicts)
    {
        var chunk = new List<Verdict>();
        var items = new List<byte[]>();
        var size = 0;
        foreach (var v in verdicts)
        {
            var item = JsonSerializer.SerializeToUtf8Bytes(Wire(v), Json);
            if (chunk.Count > 0 && (size + item.Length + 1 > MaxBodyBytes || chunk.Count == RequestLimits.MaxVerdictsPerCall))
            {
                yield return new Call(chunk, Envelope(items, size));
                chunk = [];
                items = [];
                size = 0;
            }

            chunk.Add(v);
            items.Add(item);
            size += item.Length + 1;
        }

        if (chunk.Count > 0)
        {
            yield return new Call(chunk, Envelope(items, size));
        }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly byte[] Open = "{\"verdicts\":["u8.ToArray();
    private static readonly byte[] Close = "]}"u8.ToArray();

    /// <summary><c>{"verdicts":[item,item,...]}</c> from items already serialised; the same bytes <see cref="Body"/> makes.</summary>
    private static byte[] Envelope(List<byte[]> items, int size)
    {
        using var body = new MemoryStream(Open.Length + size + Close.Length);
        body.Write(Open);
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                body.WriteByte((byte)',');
            }

            body.Write(items[i]);
        }

        body.Write(Close);
        return body.ToArray();
    }

    /// <summary>The request body for a list of verdicts: <c>{"verdicts":[...]}</c>.</summary>
    public static byte[] Body(IReadOnlyList<Verdict> chunk) => JsonSerializer.SerializeToUtf8Bytes(new { verdicts = chunk.Select(Wire) }, Json);

    private static object Wire(Verdict v) => new
    {
        paymentId = v.PaymentId,
        payerAccountId = v.PayerAccountId,
        decision = v.Decision,
        riskScore = v.RiskScore,
        reasons = v.Reasons,
        model = v.Model,
        modelVersion = v.ModelVersion,
    };

    private string Token()
    {
        var now = _clock.GetUtcNow();
        if (_token.Expires - now < TimeSpan.FromMinutes(5))
        {
            _token = (Auth.IssueToken(_auth, "ledger-fraud-pipeline", [ServiceRoles.FraudService], now), now + _auth.DevTokenLifetime);
        }

        return _token.Token;
    }
}
