using Ledger.FraudPipeline.ModelServer;
using Ledger.FraudPipeline.Scoring;
using Ledger.Testing;
using Microsoft.AspNetCore.Builder;

namespace Ledger.FraudPipeline.Tests.Scoring;

/// <summary>The real container host (<see cref="ModelServerHost.Build"/>, as <c>serve</c> runs it) on a loopback port.</summary>
public sealed class ModelServerInstance : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ModelServerInstance(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
        Client = new HttpClient { BaseAddress = url };
    }

    public Uri Url { get; }
    public HttpClient Client { get; }
    public IServiceProvider Services => _app.Services;

    /// <param name="model">The in-process model; null with <c>Fraud:Scorer=rules</c> among <paramref name="settings"/>.</param>
    public static async Task<ModelServerInstance> StartAsync(Func<IServiceProvider, IFraudScorer>? model, params string[] settings)
    {
        var url = new Uri($"http://127.0.0.1:{Ports.Free()}");
        string[] args = ["serve", $"--{ModelServerHost.UrlKey}={url}", "--Logging:LogLevel:Default=Warning", .. settings.Select(s => "--" + s)];
        var app = ModelServerHost.Build(args, model);
        await app.StartAsync();
        return new ModelServerInstance(app, url);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
