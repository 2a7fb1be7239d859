namespace Ledger.Api.Tests.Platform;

public class dev_tokens_hosts : ApiHosts;

public class dev_tokens_in_development(dev_tokens_hosts hosts) : IClassFixture<dev_tokens_hosts>
{
    [Fact]
    public async Task issue_a_token_that_the_command_and_query_apis_accept()
    {
        using var anonymous = hosts.ClientFor(null);
        var response = await anonymous.PostJsonAsync("/v1/dev/tokens", new { subject = "heidi", roles = new[] { "customer" } });
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var token = (await response.JsonAsync()).GetProperty("token").GetString()!;

        using var command = hosts.Command.CreateClient();
        using var query = hosts.Query.CreateClient();
        command.DefaultRequestHeaders.Authorization = new("Bearer", token);
        query.DefaultRequestHeaders.Authorization = new("Bearer", token);
        using var heidi = new LedgerClient(command, query);
        var (id, _) = await AccountFixtures.CreateAsync(heidi);
        (await heidi.GetAsync($"/v1/accounts/{id}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("""{"subject":"","roles":["customer"]}""")]
    [InlineData("""{"subject":"x","roles":["root"]}""")]
    [InlineData("""{"subject":"x","roles":[]}""")]
    [InlineData("""{"subject":"x"}""")]
    public async Task bad_requests_are_400(string body)
    {
        using var anonymous = hosts.ClientFor(null);
        var response = await anonymous.SendRawAsync(HttpMethod.Post, "/v1/dev/tokens", body);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.ProblemCodeAsync()).Should().Be("validation_failed");
    }
}

public class production_hosts : ApiHosts
{
    protected override string Environment => "Production";
}

public class dev_tokens_in_production(production_hosts hosts) : IClassFixture<production_hosts>
{
    [Fact]
    public async Task the_endpoint_is_404()
    {
        using var anonymous = hosts.ClientFor(null);
        var response = await anonymous.PostJsonAsync("/v1/dev/tokens", new { subject = "heidi", roles = new[] { "customer" } });
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.ProblemCodeAsync()).Should().Be("not_found");
    }

    [Fact]
    public async Task tokens_from_the_configured_issuer_still_work()
    {
        using var ivan = hosts.ClientFor("ivan");
        var (id, _) = await AccountFixtures.CreateAsync(ivan);
        (await ivan.GetAsync($"/v1/accounts/{id}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
