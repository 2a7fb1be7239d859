using System.Net.Http.Headers;
using System.Security.Cryptography;
using Ledger.ServiceDefaults;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Ledger.Testing;

/// <summary>A host under test with the configuration every Ledger host needs.</summary>
public sealed class HostFactory<TEntryPoint>(IReadOnlyDictionary<string, string?> settings, string environment, LogSink logs)
    : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.AddProvider(logs));
    }
}

/// <summary>
/// CommandApi and QueryApi on one fresh database named after the test class, with the same keys, as the gateway
/// would put them behind one URL. <see cref="ClientFor"/> gives a client that routes like the gateway does.
/// </summary>
public abstract class LedgerHosts<TCommand, TQuery> : IAsyncLifetime
    where TCommand : class
    where TQuery : class
{
    public string ConnectionString { get; private set; } = string.Empty;
    public LogSink Logs { get; } = new();
    public AuthSettings Auth { get; } = new() { SigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)) };
    public string MasterKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    public HostFactory<TCommand> Command { get; private set; } = null!;
    public HostFactory<TQuery> Query { get; private set; } = null!;

    protected virtual string Environment => "Development";

    protected virtual IEnumerable<KeyValuePair<string, string?>> ExtraSettings => [];

    /// <summary>The hosts' configuration; a later extra setting of the same key overrides an earlier one.</summary>
    public Dictionary<string, string?> Settings() => new(ExtraSettings.GroupBy(s => s.Key).Select(g => g.Last()))
    {
        ["ConnectionStrings:Ledger"] = ConnectionString,
        ["Pii:MasterKey"] = MasterKey,
        ["Auth:SigningKey"] = Auth.SigningKey,
        ["Auth:Issuer"] = Auth.Issuer,
        ["Auth:Audience"] = Auth.Audience,
    };

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.InstanceAsync();
        ConnectionString = await server.CreateDatabaseAsync(GetType().Name);
        var settings = Settings();
        Command = new HostFactory<TCommand>(settings, Environment, Logs);
        Query = new HostFactory<TQuery>(settings, Environment, Logs);
        // Start both now so schema creation happens once, before tests race each other.
        _ = Command.Server;
        _ = Query.Server;
    }

    public async Task DisposeAsync()
    {
        await Command.DisposeAsync();
        await Query.DisposeAsync();
    }

    public string Token(string subject, params string[] roles) =>
        ServiceDefaults.Auth.IssueToken(Auth, subject, roles.Length == 0 ? ["customer"] : roles, DateTimeOffset.UtcNow);

    /// <summary>A client acting as <paramref name="subject"/>, or anonymous when null.</summary>
    public LedgerClient ClientFor(string? subject, params string[] roles)
    {
        var command = Command.CreateClient();
        var query = Query.CreateClient();
        if (subject is not null)
        {
            var header = new AuthenticationHeaderValue("Bearer", Token(subject, roles));
            command.DefaultRequestHeaders.Authorization = header;
            query.DefaultRequestHeaders.Authorization = header;
        }

        return new LedgerClient(command, query);
    }
}

/// <summary>Sends reads of views to QueryApi and everything else to CommandApi, as Ledger.Gateway routes them.</summary>
public sealed class LedgerClient(HttpClient command, HttpClient query) : IDisposable
{
    public HttpClient CommandHttp => command;
    public HttpClient QueryHttp => query;

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        var path = request.RequestUri!.OriginalString;
        var isRead = request.Method == HttpMethod.Get
            && (path.StartsWith("/v1/accounts", StringComparison.Ordinal) || path.StartsWith("/v1/payments", StringComparison.Ordinal)
                || path.StartsWith("/v1/disputes", StringComparison.Ordinal) || path.StartsWith("/v1/fraud/analyses", StringComparison.Ordinal)
                || path.StartsWith("/v1/alerts", StringComparison.Ordinal) || path.StartsWith("/v1/ledger", StringComparison.Ordinal));
        return (isRead ? query : command).SendAsync(request);
    }

    public void Dispose()
    {
        command.Dispose();
        query.Dispose();
    }
}

/// <summary>Keeps every log line the hosts write, so tests can prove what never reaches the logs.</summary>
public sealed class LogSink : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new SinkLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class SinkLogger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink._lines.Enqueue($"{logLevel} {category} {formatter(state, exception)} {exception}");
    }
}
