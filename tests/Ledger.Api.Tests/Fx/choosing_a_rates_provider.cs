using System.Security.Cryptography;
using Ledger.CommandApi.Accounts;
using Ledger.CommandApi.Fx;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ledger.Api.Tests.Fx;

public class choosing_a_rates_provider
{
    private static ServiceProvider Build(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<IHostEnvironment>(new TestEnvironment(AppContext.BaseDirectory));
        return services.AddFxRates(configuration).BuildServiceProvider();
    }

    [Fact]
    public void the_file_provider_is_the_default_and_runs_as_a_hosted_service()
    {
        using var services = Build();

        var provider = services.GetRequiredService<IRatesProvider>();
        provider.Should().BeOfType<FileRatesProvider>();
        services.GetServices<IHostedService>().Should().ContainSingle().Which.Should().BeSameAs(provider);
        services.GetRequiredService<FxOptions>().RatesFile.Should().Be("Fx/eurofxref-daily.xml");
    }

    [Fact]
    public void the_http_provider_and_its_options_come_from_the_fx_section()
    {
        using var services = Build(("Fx:Provider", "HTTP"), ("Fx:RatesUrl", "https://rates.example/eurofxref-daily.xml"),
            ("Fx:HttpTimeout", "00:00:02"), ("Fx:HttpRetries", "5"), ("Fx:MaxRateAge", "3650.00:00:00"));

        var provider = services.GetRequiredService<IRatesProvider>();
        provider.Should().BeOfType<HttpRatesProvider>().Which.Source.Should().Be("ecb-xml:rates.example/eurofxref-daily.xml");
        services.GetServices<IHostedService>().Should().ContainSingle().Which.Should().BeSameAs(provider);
        var options = services.GetRequiredService<FxOptions>();
        options.HttpTimeout.Should().Be(TimeSpan.FromSeconds(2));
        options.HttpRetries.Should().Be(5);
        options.MaxRateAge.Should().Be(TimeSpan.FromDays(3650));
    }

    [Fact]
    public void registering_twice_keeps_one_provider()
    {
        var configuration = new ConfigurationBuilder().Build();
        var services = new ServiceCollection();

        services.AddFxRates(configuration).AddFxRates(configuration);

        services.Count(d => d.ServiceType == typeof(IRatesProvider)).Should().Be(1);
        services.Count(d => d.ServiceType == typeof(IHostedService)).Should().Be(1);
    }

    [Theory]
    [InlineData("Fx:Provider", "ftp", "Fx:Provider 'ftp' is not a rates provider: use 'file'")]
    [InlineData("Fx:Provider", "", "Fx:Provider '' is not a rates provider")]
    [InlineData("Fx:RatesFile", " ", "Fx:RatesFile must name the rates file")]
    public void a_configuration_that_cannot_work_fails_at_start_with_the_reason(string key, string value, string reason)
    {
        var build = () => Build((key, value));

        build.Should().Throw<InvalidOperationException>().WithMessage($"{reason}*");
    }

    [Theory]
    [InlineData(null, "00:00:05", "00:15:00", "Fx:RatesUrl must be an absolute http(s) URL")]
    [InlineData("/relative/rates.xml", "00:00:05", "00:15:00", "Fx:RatesUrl must be an absolute http(s) URL")]
    [InlineData("file:///etc/rates.xml", "00:00:05", "00:15:00", "Fx:RatesUrl must be an absolute http(s) URL")]
    [InlineData("https://rates.example/x.xml", "00:00:00", "00:15:00", "Fx:HttpTimeout must be between 10 ms and 1 day")]
    [InlineData("https://rates.example/x.xml", "00:00:05", "-00:00:01", "Fx:RefreshInterval must be positive")]
    [InlineData("https://rates.example/x.xml", "00:00:05", "60.00:00:00", "Fx:RefreshInterval must be positive and at most 30 days")]
    public void the_http_provider_without_a_usable_url_or_timing_fails_at_start(string? url, string timeout, string refresh, string reason)
    {
        var build = () => Build(("Fx:Provider", "http"), ("Fx:RatesUrl", url!), ("Fx:HttpTimeout", timeout), ("Fx:RefreshInterval", refresh));

        build.Should().Throw<InvalidOperationException>().WithMessage($"{reason}*");
    }
}

/// <summary>A CommandApi host under WebApplicationFactory (content root: the project folder) with the rates registered
/// (Program.cs registers them as well: AddFxRates is idempotent, so this holds either way).</summary>
public sealed class embedded_rates_host : IAsyncLifetime
{
    public WebApplicationFactory<CreateAccountRequest> Command { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.InstanceAsync();
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Ledger"] = await server.CreateDatabaseAsync(nameof(the_embedded_rates_file)),
            ["Pii:MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["Auth:SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)),
        };
        Command = new HostFactory<CreateAccountRequest>(settings, "Development", new LogSink())
            .WithWebHostBuilder(b => b.ConfigureServices((context, services) => services.AddFxRates(context.Configuration)));
        _ = Command.Server;
    }

    public async Task DisposeAsync() => await Command.DisposeAsync();
}

public class the_embedded_rates_file(embedded_rates_host host) : IClassFixture<embedded_rates_host>
{
    [Fact]
    public void is_served_by_a_host_under_web_application_factory()
    {
        var table = host.Command.Services.GetRequiredService<IRatesProvider>().Current;

        table.Should().NotBeNull();
        table!.Source.Should().Be("ecb-xml:file:eurofxref-daily.xml");
        table.PerBase.Should().ContainKeys("USD", "JPY", "KWD", "BHD");
        var contentRoot = host.Command.Services.GetRequiredService<IWebHostEnvironment>().ContentRootPath;
        host.Command.Services.GetRequiredService<FileRatesProvider>().FilePath
            .Should().Be(Path.Combine(contentRoot, "Fx", "eurofxref-daily.xml"), "the content root is the project folder, where the file is");
    }

    [Fact]
    public void development_settings_keep_the_fixed_date_file_fresh()
    {
        var options = host.Command.Services.GetRequiredService<FxOptions>();

        options.MaxRateAge.Should().Be(TimeSpan.FromDays(3650), "appsettings.Development.json raises it for the embedded file");
        var table = host.Command.Services.GetRequiredService<IRatesProvider>().Current!;
        (DateTimeOffset.UtcNow - table.AsOf).Should().BeLessThan(options.MaxRateAge);
    }
}
