using System.Text.Json;

namespace Ledger.Api.Tests.Platform;

public class health_hosts : ApiHosts;

public class health_and_openapi(health_hosts hosts) : IClassFixture<health_hosts>
{
    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task health_needs_no_token_and_is_200(string path)
    {
        using var command = hosts.Command.CreateClient();
        using var query = hosts.Query.CreateClient();
        (await command.GetAsync(path)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await query.GetAsync(path)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task the_command_api_documents_every_account_endpoint_and_its_errors()
    {
        using var command = hosts.Command.CreateClient();
        var doc = JsonDocument.Parse(await command.GetStringAsync("/swagger/v1/swagger.json")).RootElement;
        var paths = doc.GetProperty("paths");
        Statuses(paths, "/v1/accounts", "post").Should().Contain(["201", "400", "401", "403", "409", "413", "415", "429"]);
        Statuses(paths, "/v1/accounts/{id}", "patch").Should().Contain(["200", "400", "401", "403", "404", "409", "412", "413", "422", "429"]);
        Statuses(paths, "/v1/accounts/{id}", "delete").Should().Contain(["204", "401", "404", "412", "422", "429"]);
        Statuses(paths, "/v1/dev/tokens", "post").Should().Contain(["200", "400", "404"]);
        doc.GetProperty("components").GetProperty("schemas").TryGetProperty("AccountView", out _).Should().BeTrue();
    }

    [Fact]
    public async Task the_query_api_documents_the_account_view()
    {
        using var query = hosts.Query.CreateClient();
        var doc = JsonDocument.Parse(await query.GetStringAsync("/swagger/v1/swagger.json")).RootElement;
        Statuses(doc.GetProperty("paths"), "/v1/accounts/{id}", "get").Should().Contain(["200", "401", "404", "429"]);
        (await query.GetAsync("/swagger/index.html")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task an_unknown_route_is_a_problem_not_an_empty_page()
    {
        using var alice = hosts.ClientFor("alice");
        var response = await alice.CommandHttp.GetAsync("/v1/nothing-here");
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.ProblemCodeAsync()).Should().Be("not_found");
    }

    private static IEnumerable<string> Statuses(JsonElement paths, string path, string method) =>
        paths.GetProperty(path).GetProperty(method).GetProperty("responses").EnumerateObject().Select(p => p.Name).ToList();
}
