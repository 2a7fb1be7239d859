using Ledger.Domain.Fx;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Ledger.CommandApi.Fx;

/// <summary>
/// Reference rates in the ECB daily XML format from <see cref="FxOptions.RatesUrl"/>, fetched at start and every
/// <see cref="FxOptions.RefreshInterval"/>. Each attempt has <see cref="FxOptions.HttpTimeout"/>; timeouts, 5xx and
/// network errors are retried <see cref="FxOptions.HttpRetries"/> times with exponential back-off and jitter. Anything
/// else (a 4xx, a wrong content type, a file that does not parse) is not retried: asking again gets the same answer.
/// A refresh that fails keeps the last good table.
/// </summary>
public sealed class HttpRatesProvider : BackgroundService, IRatesProvider
{
    public const string ClientName = "fx-rates";

    private static readonly TimeSpan DefaultRetryDelay = TimeSpan.FromSeconds(1);

    // Until a first table is loaded, try again sooner than the refresh interval: quotes are unavailable meanwhile.
    private static readonly TimeSpan FirstLoadRetry = TimeSpan.FromSeconds(30);

    private static readonly string[] XmlMediaTypes = ["application/xml", "text/xml"];

    private readonly FxOptions _options;
    private readonly IHttpClientFactory _clients;
    private readonly TimeProvider _time;
    private readonly ILogger<HttpRatesProvider> _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly Uri _url;
    private volatile RateTable? _current;

    public HttpRatesProvider(FxOptions options, IHttpClientFactory clients, TimeProvider time, ILogger<HttpRatesProvider> logger)
        : this(options, clients, time, logger, DefaultRetryDelay)
    {
    }

    /// <summary>Tests shorten the first back-off so three retries take milliseconds, not seconds.</summary>
    internal HttpRatesProvider(FxOptions options, IHttpClientFactory clients, TimeProvider time, ILogger<HttpRatesProvider> logger, TimeSpan retryDelay)
    {
        _options = options;
        _clients = clients;
        _time = time;
        _logger = logger;
        _url = FxRegistration.RatesUri(options);
        // Host and path only: a query string may carry an access key.
        Source = $"ecb-xml:{_url.Host}{(_url.IsDefaultPort ? string.Empty : $":{_url.Port}")}{_url.AbsolutePath}";
        _pipeline = BuildPipeline(retryDelay);
    }

    public RateTable? Current => _current;

    public string Source { get; }

    private ResiliencePipeline BuildPipeline(TimeSpan retryDelay)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = _time };
        if (_options.HttpRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = _options.HttpRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retryDelay,
                MaxDelay = TimeSpan.FromMinutes(1),
                // HttpRequestException: connection errors and the 5xx/408/429 answers FetchOnceAsync turns into one.
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<TimeoutRejectedException>(),
                OnRetry = args =>
                {
                    _logger.LogWarning("Fetching rates from {Source} failed ({Error}); retry {Attempt} of {Retries} in {Delay}.",
                        Source, Describe(args.Outcome.Exception), args.AttemptNumber + 1, _options.HttpRetries, args.RetryDelay);
                    return default;
                },
            });
        }

        // Inside the retry, so the timeout is per attempt: it covers the body as well as the headers.
        builder.AddTimeout(_options.HttpTimeout);
        return builder.Build();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await RefreshAsync(stoppingToken);
                var wait = _current is null && FirstLoadRetry < _options.RefreshInterval ? FirstLoadRetry : _options.RefreshInterval;
                await Task.Delay(wait, _time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One refresh with its retries: true when a new table is in place, false when the last good one stays.</summary>
    internal async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var table = await _pipeline.ExecuteAsync(FetchOnceAsync, cancellationToken);
            _current = table;
            _logger.LogInformation("Loaded {Count} reference rates as of {AsOf:O} from {Source}.", table.PerBase.Count, table.AsOf, Source);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // Whatever went wrong, the table in place stays: a failed refresh never takes rates away.
            var expected = e is HttpRequestException or TimeoutRejectedException or RatesRejectedException or IOException;
            if (_current is { } kept)
            {
                _logger.LogWarning(expected ? null : e, "Rates refresh from {Source} failed ({Error}); keeping the rates as of {AsOf:O}.", Source, Describe(e), kept.AsOf);
            }
            else
            {
                _logger.LogError(expected ? null : e, "Rates refresh from {Source} failed ({Error}); no reference rates until it succeeds.", Source, Describe(e));
            }

            return false;
        }
    }

    private async ValueTask<RateTable> FetchOnceAsync(CancellationToken cancellationToken)
    {
        var client = _clients.CreateClient(ClientName);
        using var request = new HttpRequestMessage(HttpMethod.Get, _url);
        request.Headers.Accept.ParseAdd("application/xml");
        request.Headers.Accept.ParseAdd("text/xml");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var status = (int)response.StatusCode;
        if (status >= 500 || status is 408 or 429)
        {
            throw new HttpRequestException($"The rates source answered {status}.", null, response.StatusCode);
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new RatesRejectedException($"The rates source answered {status}.");
        }

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (!XmlMediaTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase))
        {
            throw new RatesRejectedException($"The rates source answered content type '{mediaType ?? "none"}', not XML.");
        }

        if (response.Content.Headers.ContentLength > EcbRates.MaxBytes)
        {
            throw new RatesRejectedException($"The rates source answered more than {EcbRates.MaxBytes} bytes.");
        }

        // Buffered (bounded) before parsing, so the XML reader never blocks a thread on the network.
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > EcbRates.MaxBytes)
            {
                throw new RatesRejectedException($"The rates source answered more than {EcbRates.MaxBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        buffer.Position = 0;
        return EcbRates.Parse(buffer, Source);
    }

    private static string Describe(Exception? e) => e switch
    {
        null => "no answer",
        TimeoutRejectedException => "no answer within the timeout",
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}
