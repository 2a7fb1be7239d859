using Yarp.ReverseProxy.Configuration;

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

/// <summary>Which service answers which request. Reads of views, the audit log (replay included: it only reads) and
/// analytics go to QueryApi; everything else to CommandApi.</summary>
public sealed class GatewayRoutes
{
    private GatewayRoutes()
    {
    }

    public static IReadOnlyList<RouteConfig> Routes() =>
    [
        new RouteConfig
        {
            RouteId = "query-accounts",
            ClusterId = "query",
            Order = 1,
            Match = new RouteMatch { Path = "/v1/accounts/{**rest}", Methods = ["GET", "HEAD"] },
        },
        new RouteConfig
        {
            RouteId = "query-payments",
            ClusterId = "query",
            Order = 1,
            Match = new RouteMatch { Path = "/v1/payments/{**rest}", Methods = ["GET", "HEAD"] },
        },
        new RouteConfig
        {
            RouteId = "query-disputes",
            ClusterId = "query",
            Order = 1,
            Match = new RouteMatch { Path = "/v1/disputes/{**rest}", Methods = ["GET", "HEAD"] },
        },
        // --- read side: audit, analytics and ledger reports (issue 7, read-audit), all to QueryApi ---
        new RouteConfig
        {
            RouteId = "query-audit",
            ClusterId = "query",
            Order = 1,
            Match = new RouteMatch { Path = "/v1/audit/{**rest}", Methods = ["GET", "HEAD", "POST"] },
        },
        new RouteConfig
        {
            RouteId = "query-analytics",
            ClusterId = "query",
            Order = 1,
            Match = new RouteMatch { Path = "/v1/analytics/{**rest}", Methods = ["GET", "HEAD"] },
        },
        // --- end of read-audit routes ---
        new RouteConfig
        {
            RouteId = "query-fraud-analyses",
            ClusterId = "query",
            Order = 1,
            Match = new RouteMatch { Path = "/v1/fraud/analyses", Methods = ["GET", "HEAD"] },
        },
        new RouteConfig
        {
            RouteId = "query-alerts",
            ClusterId = "query",
            Order = 1,
            Match = new RouteMatch { Path = "/v1/alerts", Methods = ["GET", "HEAD"] },
        },
        new RouteConfig
        {
            RouteId = "query-ledger",
            ClusterId = "query",
            Order = 1,
            Match = new RouteMatch { Path = "/v1/ledger/{**rest}", Methods = ["GET", "HEAD"] },
        },
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
