using Ledger.CommandApi.Fx;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static Ledger.Api.Tests.Fx.FxFixtures;

namespace Ledger.Api.Tests.Fx;

/// <summary>The HTTP provider against a real Kestrel server on loopback playing the ECB, healthy or not.</summary>
public sealed class reading_rates_over_http : IAsyncDisposable
{
    private readonly LogSink _logs = new();
    private readonly List<IAsyncDisposable> _owned = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }
    }

    private async Task<RatesServer> ServerAsync(Func<HttpContext, int, Task> respond)
    {
        var server = await RatesServer.StartAsync(respond);
        _owned.Add(server);
        return server;
    }

    /// <summary>The provider as the host would build it (same registration, same named client), with a short back-off.</summary>
    private HttpRatesProvider Provider(RatesServer server, int retries = 3, int timeoutMilliseconds = 2_000, int refreshMilliseconds = 60_000)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Fx:Provider"] = "http",
            ["Fx:RatesUrl"] = server.Url.ToString(),
            ["Fx:HttpRetries"] = retries.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Fx:HttpTimeout"] = TimeSpan.FromMilliseconds(timeoutMilliseconds).ToString(),
            ["Fx:RefreshInterval"] = TimeSpan.FromMilliseconds(refreshMilliseconds).ToString(),
        }).Build();
        var services = new ServiceCollection().AddLogging().AddFxRates(configuration).BuildServiceProvider();
        _owned.Add(services);
        return new HttpRatesProvider(services.GetRequiredService<FxOptions>(), services.GetRequiredService<IHttpClientFactory>(),
            TimeProvider.System, Logger<HttpRatesProvider>(_logs), TimeSpan.FromMilliseconds(20));
    }

    private static decimal? Usd(IRatesProvider provider) => provider.Current?.PerBase["USD"];

    [Fact]
    public async Task the_rates_are_loaded_at_start_and_refreshed_every_interval()
    {
        var usd = UsdRate;
        var server = await ServerAsync((context, _) => RatesServer.Xml(context, Rates(usd: Volatile.Read(ref usd))));
        using var provider = Provider(server, refreshMilliseconds: 200);

        await provider.StartAsync(CancellationToken.None);
        await EventuallyAsync(() => Usd(provider) == 1.0823m, "the first fetch runs at start");
        provider.Current!.Source.Should().Be($"ecb-xml:127.0.0.1:{server.Url.Port}/stats/eurofxref/eurofxref-daily.xml", "host and path, never the query");

        Volatile.Write(ref usd, "1.0950");
        await EventuallyAsync(() => Usd(provider) == 1.0950m, "the next refresh brings the new rates");
        await provider.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task two_server_errors_then_a_good_answer_succeed_through_retries()
    {
        var server = await ServerAsync((context, n) =>
        {
            if (n <= 2)
            {
                context.Response.StatusCode = 500;
                return Task.CompletedTask;
            }

            return RatesServer.Xml(context, Rates());
        });
        using var provider = Provider(server, retries: 3);

        (await provider.RefreshAsync(CancellationToken.None)).Should().BeTrue();

        Usd(provider).Should().Be(1.0823m);
        server.Requests.Should().Be(3);
        _logs.Lines.Where(l => l.Contains("answered 500", StringComparison.Ordinal)).Should().HaveCount(2);
    }

    [Fact]
    public async Task a_server_that_hangs_past_the_timeout_is_cut_off_and_retried()
    {
        RatesServer server = null!;
        server = await ServerAsync((context, n) => n == 1 ? server.HangAsync(context, n) : RatesServer.Xml(context, Rates()));
        using var provider = Provider(server, retries: 2, timeoutMilliseconds: 300);

        (await provider.RefreshAsync(CancellationToken.None)).Should().BeTrue();

        Usd(provider).Should().Be(1.0823m);
        server.Requests.Should().Be(2);
        _logs.Lines.Should().ContainMatch("*no answer within the timeout*");
        await EventuallyAsync(() => server.Aborted.Contains(1), "the timed-out request is abandoned, not left open");
    }

    [Fact]
    public async Task retries_stop_after_the_configured_count_and_nothing_is_loaded()
    {
        var server = await ServerAsync((context, _) =>
        {
            context.Response.StatusCode = 503;
            return Task.CompletedTask;
        });
        using var provider = Provider(server, retries: 2);

        (await provider.RefreshAsync(CancellationToken.None)).Should().BeFalse();

        provider.Current.Should().BeNull();
        server.Requests.Should().Be(3, "one attempt and two retries");
        _logs.Lines.Should().ContainMatch("Error*no reference rates until it succeeds*");
    }

    [Fact]
    public async Task a_server_down_after_a_good_load_keeps_the_last_good_table()
    {
        var server = await ServerAsync((context, _) => RatesServer.Xml(context, Rates()));
        using var provider = Provider(server, retries: 2);
        (await provider.RefreshAsync(CancellationToken.None)).Should().BeTrue();
        var good = provider.Current;

        await server.DisposeAsync();
        _owned.Remove(server);

        (await provider.RefreshAsync(CancellationToken.None)).Should().BeFalse();
        provider.Current.Should().BeSameAs(good);
        _logs.Lines.Should().ContainMatch("Warning*HttpRequestException*keeping the rates as of 2026-11-25T15:00:00*");
    }

    [Fact]
    public async Task a_wrong_content_type_is_refused_and_not_retried()
    {
        var server = await ServerAsync((context, _) => RatesServer.Xml(context, Rates(), contentType: "text/html"));
        using var provider = Provider(server);

        (await provider.RefreshAsync(CancellationToken.None)).Should().BeFalse();

        provider.Current.Should().BeNull("an HTML page (a captive portal, an error page) is not rates, even if it parses");
        server.Requests.Should().Be(1, "asking again would get the same answer");
        _logs.Lines.Should().ContainMatch("*content type 'text/html', not XML*");
    }

    [Fact]
    public async Task application_xml_is_accepted_as_well_as_text_xml()
    {
        var server = await ServerAsync((context, _) => RatesServer.Xml(context, Rates(), contentType: "application/xml"));
        using var provider = Provider(server);

        (await provider.RefreshAsync(CancellationToken.None)).Should().BeTrue();
        Usd(provider).Should().Be(1.0823m);
    }

    [Fact]
    public async Task a_client_error_is_refused_and_not_retried()
    {
        var server = await ServerAsync((context, _) =>
        {
            context.Response.StatusCode = 404;
            return Task.CompletedTask;
        });
        using var provider = Provider(server);

        (await provider.RefreshAsync(CancellationToken.None)).Should().BeFalse();

        server.Requests.Should().Be(1);
        _logs.Lines.Should().ContainMatch("*answered 404*");
    }

    [Fact]
    public async Task a_broken_answer_after_a_good_one_keeps_the_last_good_table()
    {
        // The table turns bad once the provider holds a good one, not at the second request: on a slow machine the first
        // attempt can time out after the server counted it, and its retry would then have been served the bad table.
        var broken = false;
        var server = await ServerAsync((context, _) => RatesServer.Xml(context, Volatile.Read(ref broken) ? Rates(usd: "-1") : Rates()));
        using var provider = Provider(server);
        (await provider.RefreshAsync(CancellationToken.None)).Should().BeTrue();
        var good = provider.Current;
        Volatile.Write(ref broken, true);
        var before = server.Requests - server.Aborted.Count; // answered ones: a timed-out attempt is retried, by design

        (await provider.RefreshAsync(CancellationToken.None)).Should().BeFalse();

        provider.Current.Should().BeSameAs(good);
        (server.Requests - server.Aborted.Count - before).Should().Be(1, "a file that does not parse is not fetched again until the next refresh");
        _logs.Lines.Should().ContainMatch("Warning*USD is not positive*");
    }
}
