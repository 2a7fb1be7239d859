using Yarp.ReverseProxy.Configuration;

if (args is ["nginx-config", .. var options])
{
    // ops/run renders the embedded front's configuration from the route table below (NginxFront).
    return NginxFrontCommand.Print(options);
}

var builder = WebApplication.CreateBuilder(args);
var command = builder.Configuration["Gateway:CommandApi"] ?? throw new InvalidOperationException("Gateway:CommandApi is not configured.");
var query = builder.Configuration["Gateway:QueryApi"] ?? throw new InvalidOperationException("Gateway:QueryApi is not configured.");
builder.Services.AddReverseProxy().LoadFromMemory(GatewayRoutes.Routes(), GatewayRoutes.Clusters(command, query));
builder.Services.AddHttpClient();

var app = builder.Build();
app.MapGet("/health/live", () => Results.Ok(new { status = "Healthy" }));
app.MapGet("/health/ready", async (IHttpClientFactory factory, CancellationToken ct) =>
{
    // Ready when every service behind the gateway is ready.
    var client = factory.CreateClient();
    client.Timeout = TimeSpan.FromSeconds(5);
    var results = new Dictionary<string, string>();
    var services = new List<(string, string)> { ("commandApi", command), ("queryApi", query) };
    if (builder.Configuration["Gateway:FraudPipeline"] is { Length: > 0 } fraud)
    {
        services.Add(("fraudPipeline", fraud)); // serves no public route, but payments wait on it
    }

    foreach (var (name, baseUrl) in services)
    {
        try
        {
            using var response = await client.GetAsync(new Uri(new Uri(baseUrl), "/health/ready"), ct);
            results[name] = response.IsSuccessStatusCode ? "Healthy" : "Unhealthy";
        }
        catch (HttpRequestException)
        {
            results[name] = "Unreachable";
        }
        catch (TaskCanceledException)
        {
            results[name] = "Unreachable";
        }
    }

    var healthy = results.Values.All(v => v == "Healthy");
    return Results.Json(new { status = healthy ? "Healthy" : "Unhealthy", services = results }, statusCode: healthy ? 200 : 503);
});
app.UseSwaggerUI(o =>
{
    o.RoutePrefix = "swagger";
    o.SwaggerEndpoint("/swagger/command/v1/swagger.json", "Commands (CommandApi)");
    o.SwaggerEndpoint("/swagger/query/v1/swagger.json", "Queries (QueryApi)");
});
app.MapReverseProxy();
app.Run();
return 0;

/// <summary>Which service answers which request. Reads of views, the audit log (replay included: it only reads) and
/// analytics go to QueryApi; everything else to CommandApi.</summary>
public sealed class GatewayRoutes
{
    private GatewayRoutes()
    {
    }

    private static readonly string[] Reads = ["GET", "HEAD"];

    /// <summary>Reads go to QueryApi (Order 1, ahead of the catch-all); everything else to CommandApi.</summary>
    public static IReadOnlyList<RouteConfig> Routes() =>
    [
        Query("accounts", "/v1/accounts/{**rest}"),
        Query("payments", "/v1/payments/{**rest}"),
        Query("disputes", "/v1/disputes/{**rest}"),
        // The read side of issue 7: audit (POST /v1/audit/replay is a read of history, served by QueryApi too),
        // analytics, statements' ledger reports (trial balance).
        Query("audit", "/v1/audit/{**rest}", ["GET", "HEAD", "POST"]),
        Query("analytics", "/v1/analytics/{**rest}"),
        Query("ledger", "/v1/ledger/{**rest}"),
        // Fraud reads (analyses, alerts); verdicts and reviews are commands.
        Query("fraud-analyses", "/v1/fraud/analyses"),
        Query("alerts", "/v1/alerts"),
        new RouteConfig
        {
            RouteId = "command",
            ClusterId = "command",
            Order = 10,
            Match = new RouteMatch { Path = "/v1/{**rest}" },
        },
        SwaggerRoute("command"),
        SwaggerRoute("query"),
    ];

    public static IReadOnlyList<ClusterConfig> Clusters(string command, string query) =>
    [
        Cluster("command", command),
        Cluster("query", query),
    ];

    private static RouteConfig Query(string name, string path, string[]? methods = null) => new()
    {
        RouteId = "query-" + name,
        ClusterId = "query",
        Order = 1,
        Match = new RouteMatch { Path = path, Methods = methods ?? Reads },
    };

    private static RouteConfig SwaggerRoute(string cluster) => new()
    {
        RouteId = "swagger-" + cluster,
        ClusterId = cluster,
        Order = 0,
        Match = new RouteMatch { Path = $"/swagger/{cluster}/{{**rest}}" },
        Transforms = [new Dictionary<string, string> { ["PathPattern"] = "/swagger/{**rest}" }],
    };

    private static ClusterConfig Cluster(string id, string address) => new()
    {
        ClusterId = id,
        Destinations = new Dictionary<string, DestinationConfig> { [id] = new() { Address = address } },
    };
}
