using System.Net.Http.Headers;
using System.Net.Http.Json;

namespace Ledger.Api.Tests.Platform;

public class gateway_hosts : ApiHosts;

/// <summary>The .NET gateway as the one URL (<c>LEDGER_FRONT=dotnet</c>).</summary>
public class through_the_gateway(gateway_hosts hosts) : serving_one_url(hosts), IClassFixture<gateway_hosts>
{
    protected override Uri OneUrl => GatewayUrl;
}

/// <summary>The embedded default's one URL: real Kestrel sockets for all three hosts, real HTTP between them; what a
/// newcomer does through it. Run once per front: the .NET gateway alone, and nginx in front of it
/// (<see cref="through_the_nginx_front"/>).</summary>
public abstract class serving_one_url(ApiHosts hosts) : IAsyncLifetime
{
    private HostFactory<Ledger.CommandApi.Accounts.CreateAccountRequest>? _command;
    private HostFactory<Ledger.QueryApi.Accounts.AccountViewCache>? _query;
    private HostFactory<GatewayRoutes>? _gateway;
    private readonly int _gatewayPort = Ports.Free();

    protected ApiHosts Hosts => hosts;
    protected int CommandPort { get; } = Ports.Free();
    protected int QueryPort { get; } = Ports.Free();
    protected Uri GatewayUrl => new($"http://127.0.0.1:{_gatewayPort}");

    /// <summary>Where clients send everything.</summary>
    protected abstract Uri OneUrl { get; }

    public virtual Task InitializeAsync()
    {
        _command = new(hosts.Settings(), "Development", hosts.Logs);
        _command.UseKestrel(CommandPort);
        _command.StartServer();
        _query = new(hosts.Settings(), "Development", hosts.Logs);
        _query.UseKestrel(QueryPort);
        _query.StartServer();
        _gateway = new(new Dictionary<string, string?>
        {
            ["Gateway:CommandApi"] = $"http://127.0.0.1:{CommandPort}",
            ["Gateway:QueryApi"] = $"http://127.0.0.1:{QueryPort}",
        }, "Development", hosts.Logs);
        _gateway.UseKestrel(_gatewayPort);
        _gateway.StartServer();
        return Task.CompletedTask;
    }

    public virtual async Task DisposeAsync()
    {
        await _gateway!.DisposeAsync();
        await _query!.DisposeAsync();
        await _command!.DisposeAsync();
    }

    [Fact]
    public async Task a_newcomer_creates_reads_edits_and_deletes_an_account_on_one_url()
    {
        using var http = new HttpClient { BaseAddress = OneUrl };
        (await http.GetAsync("/health/ready")).StatusCode.Should().Be(HttpStatusCode.OK);

        var tokenResponse = await http.PostAsJsonAsync("/v1/dev/tokens", new { subject = "newcomer", roles = new[] { "customer" } });
        tokenResponse.StatusCode.Should().Be(HttpStatusCode.OK);
        var token = (await tokenResponse.JsonAsync()).GetProperty("token").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var created = await http.PostAsJsonAsync("/v1/accounts", new { username = AccountFixtures.UniqueUsername("newcomer"), name = "New Comer", email = "new@example.com" });
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var id = (await created.JsonAsync()).GetProperty("id").GetString();

        var read = await http.GetAsync($"/v1/accounts/{id}");
        read.StatusCode.Should().Be(HttpStatusCode.OK);
        read.Headers.ETag!.Tag.Should().Be("\"1\"");

        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/v1/accounts/{id}") { Content = JsonContent.Create(new { email = "newer@example.com" }) };
        patch.Headers.IfMatch.Add(read.Headers.ETag);
        (await http.SendAsync(patch)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await (await http.GetAsync($"/v1/accounts/{id}")).JsonAsync()).GetProperty("email").GetString().Should().Be("newer@example.com");

        (await http.DeleteAsync($"/v1/accounts/{id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await http.GetAsync($"/v1/accounts/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task money_moves_and_is_read_back_through_the_one_url()
    {
        using var http = new HttpClient { BaseAddress = OneUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", hosts.Token("gw-payer"));
        var payer = (await (await http.PostAsJsonAsync("/v1/accounts", new { username = AccountFixtures.UniqueUsername("gwpayer"), name = "Payer", email = "p@example.com" })).JsonAsync()).GetProperty("id").GetString();
        var payee = (await (await http.PostAsJsonAsync("/v1/accounts", new { username = AccountFixtures.UniqueUsername("gwpayee"), name = "Payee", email = "q@example.com" })).JsonAsync()).GetProperty("id").GetString();

        async Task<HttpResponseMessage> PostMoney(string path, object body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            request.Headers.Add("Prefer", "wait=5");
            return await http.SendAsync(request);
        }

        (await PostMoney("/v1/deposits", new { accountId = payer, amount = new { amount = "20.00", currency = "EUR" }, reference = "in" })).StatusCode.Should().Be(HttpStatusCode.Created);
        var paid = await PostMoney("/v1/payments", new { payerAccountId = payer, payeeAccountId = payee, amount = new { amount = "7.50", currency = "EUR" }, purpose = "purchase" });
        paid.StatusCode.Should().Be(HttpStatusCode.Created);
        var paymentId = (await paid.JsonAsync()).GetProperty("id").GetString();

        var read = await http.GetAsync($"/v1/payments/{paymentId}");
        read.StatusCode.Should().Be(HttpStatusCode.OK, "GET /v1/payments is routed to QueryApi");
        (await read.JsonAsync()).GetProperty("status").GetString().Should().Be("completed");
        var balances = await (await http.GetAsync($"/v1/accounts/{payer}/balances")).JsonAsync();
        balances[0].GetProperty("available").GetString().Should().Be("12.50");
        (await (await http.GetAsync($"/v1/accounts/{payer}/transactions")).JsonAsync()).GetProperty("items").GetArrayLength().Should().Be(2);
        var statement = await (await http.GetAsync($"/v1/accounts/{payer}/statement")).JsonAsync();
        statement.GetProperty("currencies")[0].GetProperty("closing").GetProperty("total").GetString().Should().Be("12.50");

        // The trial balance lives in QueryApi too (CommandApi would answer 404).
        using var trial = new HttpRequestMessage(HttpMethod.Get, "/v1/ledger/trial-balance");
        trial.Headers.Authorization = new AuthenticationHeaderValue("Bearer", hosts.Token("gw-auditor", "auditor"));
        var trialBalance = await http.SendAsync(trial);
        trialBalance.StatusCode.Should().Be(HttpStatusCode.OK, "GET /v1/ledger is routed to QueryApi");
        (await trialBalance.JsonAsync()).GetProperty("balanced").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task swagger_ui_shows_both_services_documents()
    {
        using var http = new HttpClient { BaseAddress = OneUrl };
        (await http.GetAsync("/swagger/index.html")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await http.GetStringAsync("/swagger/command/v1/swagger.json")).Should().Contain("/v1/accounts/{id}");
        (await http.GetStringAsync("/swagger/query/v1/swagger.json")).Should().Contain("/v1/accounts/{id}");
    }
}
