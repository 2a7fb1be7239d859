using Ledger.Domain.Fx;

namespace Ledger.CommandApi.Fx;

/// <summary>Where reference rates come from. Implementations keep the last good table and never throw to callers.</summary>
public interface IRatesProvider
{
    /// <summary>The newest good table, or null when none has been loaded yet.</summary>
    RateTable? Current { get; }
}

/// <summary>Section <c>Fx</c>.</summary>
public sealed class FxOptions
{
    /// <summary><c>file</c> (embedded default: an ECB daily-reference XML file, reloaded when it changes) or <c>http</c>
    /// (the same format from <see cref="RatesUrl"/>, refreshed every <see cref="RefreshInterval"/>).</summary>
    public string Provider { get; set; } = "file";

    /// <summary>The rates file; relative paths are under the host's content root. Default: the file shipped with the project.</summary>
    public string RatesFile { get; set; } = "Fx/eurofxref-daily.xml";

    public string? RatesUrl { get; set; }

    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Per attempt, for the HTTP provider.</summary>
    public TimeSpan HttpTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Retries after a failed attempt, with exponential back-off, for the HTTP provider.</summary>
    public int HttpRetries { get; set; } = 3;

    /// <summary>Rates older than this (from the instant they describe) are refused for new quotes (503 rates_unavailable).
    /// ECB publishes once per business day, so the production default covers a long weekend.</summary>
    public TimeSpan MaxRateAge { get; set; } = TimeSpan.FromDays(4);

    /// <summary>The spread taken on every conversion, as a fraction (0.005 = 0.5%), booked as fee revenue.</summary>
    public decimal Spread { get; set; } = 0.005m;

    /// <summary>How long a quote holds its rate (SPEC: default 30 s).</summary>
    public TimeSpan QuoteLifetime { get; set; } = TimeSpan.FromSeconds(30);
}
