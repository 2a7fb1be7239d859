using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Ledger.CommandApi.Fx;

public static class FxRegistration
{
    public const string Section = "Fx";

    /// <summary>
    /// Binds <see cref="FxOptions"/> from section <c>Fx</c> (also registered as a singleton) and registers the chosen
    /// <see cref="IRatesProvider"/>, which is a hosted service too. A configuration that cannot work (an unknown provider,
    /// http without an absolute URL, a non-positive interval) throws here, so the host fails at start with the reason.
    /// Calling it twice is harmless: the first registration stands.
    /// </summary>
    public static IServiceCollection AddFxRates(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(IRatesProvider)))
        {
            return services;
        }

        var options = configuration.GetSection(Section).Get<FxOptions>() ?? new FxOptions();
        Validate(options);
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);

        if (IsProvider(options, "file"))
        {
            services.AddSingleton<FileRatesProvider>();
            services.AddSingleton<IRatesProvider>(sp => sp.GetRequiredService<FileRatesProvider>());
            services.AddHostedService(sp => sp.GetRequiredService<FileRatesProvider>());
        }
        else
        {
            // Per-attempt timeouts are the resilience pipeline's; the client's own 100 s default would cut across them.
            services.AddHttpClient(HttpRatesProvider.ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
            services.AddSingleton<HttpRatesProvider>();
            services.AddSingleton<IRatesProvider>(sp => sp.GetRequiredService<HttpRatesProvider>());
            services.AddHostedService(sp => sp.GetRequiredService<HttpRatesProvider>());
        }

        return services;
    }

    /// <summary><see cref="FxOptions.RatesUrl"/> as an absolute http(s) URI, or a message saying what to set.</summary>
    internal static Uri RatesUri(FxOptions options) =>
        Uri.TryCreate(options.RatesUrl, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri
            : throw new InvalidOperationException("Fx:RatesUrl must be an absolute http(s) URL when Fx:Provider is 'http' (e.g. https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml).");

    private static bool IsProvider(FxOptions options, string name) => string.Equals(options.Provider?.Trim(), name, StringComparison.OrdinalIgnoreCase);

    private static void Validate(FxOptions options)
    {
        if (!IsProvider(options, "file") && !IsProvider(options, "http"))
        {
            throw new InvalidOperationException($"Fx:Provider '{options.Provider}' is not a rates provider: use 'file' (an ECB XML file) or 'http' (ECB XML from Fx:RatesUrl).");
        }

        if (IsProvider(options, "file") && string.IsNullOrWhiteSpace(options.RatesFile))
        {
            throw new InvalidOperationException("Fx:RatesFile must name the rates file when Fx:Provider is 'file'.");
        }

        if (IsProvider(options, "http"))
        {
            RatesUri(options);
            if (options.RefreshInterval <= TimeSpan.Zero || options.RefreshInterval > TimeSpan.FromDays(30))
            {
                // The upper bound keeps it within what a timer can wait (~49 days); ECB publishes daily anyway.
                throw new InvalidOperationException($"Fx:RefreshInterval must be positive and at most 30 days (got {options.RefreshInterval}).");
            }

            if (options.HttpTimeout < TimeSpan.FromMilliseconds(10) || options.HttpTimeout > TimeSpan.FromDays(1))
            {
                // Polly's timeout strategy accepts this range only.
                throw new InvalidOperationException($"Fx:HttpTimeout must be between 10 ms and 1 day (got {options.HttpTimeout}).");
            }

            if (options.HttpRetries < 0)
            {
                throw new InvalidOperationException("Fx:HttpRetries must be 0 or more.");
            }
        }
    }
}
