using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ledger.Api.Tests.Fx;

public static class FxFixtures
{
    public const string UsdRate = "1.0823";

    /// <summary>A daily file in ECB's exact shape; <paramref name="cubes"/> replaces the dated Cube's contents.</summary>
    public static string Daily(string cubes, string time = "2026-11-25") => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
          <gesmes:subject>Reference rates</gesmes:subject>
          <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
          <Cube>
            <Cube time='{time}'>
              {cubes}
            </Cube>
          </Cube>
        </gesmes:Envelope>
        """;

    public static string Rates(string usd = UsdRate, string jpy = "163.42") =>
        Daily($"<Cube currency='USD' rate='{usd}'/><Cube currency='JPY' rate='{jpy}'/><Cube currency='KWD' rate='0.3328'/>");

    /// <summary>The file the project ships, in the source tree (where WebApplicationFactory's content root is).</summary>
    public static string ShippedFile
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "Ledger.CommandApi", "Fx", "eurofxref-daily.xml");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new FileNotFoundException("Ledger.CommandApi/Fx/eurofxref-daily.xml not found above the test's folder.");
        }
    }

    public static ILogger<T> Logger<T>(LogSink sink) => LoggerFactory.Create(b => b.AddProvider(sink)).CreateLogger<T>();

    /// <summary>Polls until <paramref name="condition"/> holds, failing after <paramref name="seconds"/>.</summary>
    public static Task EventuallyAsync(Func<bool> condition, string because, int seconds = 15) =>
        Money.MoneyFixtures.EventuallyAsync(() => Task.FromResult(condition()), () => because, TimeSpan.FromSeconds(seconds));
}

public sealed class TestEnvironment(string contentRoot) : IHostEnvironment
{
    public string EnvironmentName { get; set; } = "Development";
    public string ApplicationName { get; set; } = "Ledger.CommandApi";
    public string ContentRootPath { get; set; } = contentRoot;
    public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
}

/// <summary>
/// A real Kestrel server standing in for the ECB: every request goes to <c>respond(context, n)</c>, n counting from 1.
/// It binds port 0 and reads back the port the OS gave, so no other process can take it between choice and bind.
/// </summary>
public sealed class RatesServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private RatesServer(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public int Requests => _requests;

    /// <summary>Requests whose client went away before the answer (what a client-side timeout does).</summary>
    public ConcurrentBag<int> Aborted { get; } = [];

    public static async Task<RatesServer> StartAsync(Func<HttpContext, int, Task> respond)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new RatesServer(app);
        app.Run(context => respond(context, Interlocked.Increment(ref server._requests)));
        await app.StartAsync();
        var address = new Uri(app.Urls.Single());
        server.Url = new Uri($"http://127.0.0.1:{address.Port}/stats/eurofxref/eurofxref-daily.xml?key=secret");
        return server;
    }

    public static Task Xml(HttpContext context, string body, string contentType = "text/xml; charset=utf-8")
    {
        context.Response.ContentType = contentType;
        return context.Response.WriteAsync(body);
    }

    /// <summary>Answers nothing until the client gives up.</summary>
    public async Task HangAsync(HttpContext context, int n)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            Aborted.Add(n);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
