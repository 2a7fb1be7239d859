namespace Ledger.Api.Tests.Accounts;

public class reading_accounts_hosts : ApiHosts;

public class reading_accounts(reading_accounts_hosts hosts) : IClassFixture<reading_accounts_hosts>
{
    [Fact]
    public async Task the_owner_support_auditor_and_regulator_read_it_and_nobody_else()
    {
        using var owner = hosts.ClientFor("frank");
        var (id, _) = await AccountFixtures.CreateAsync(owner, name: "Frank", email: "frank@example.com");

        foreach (var (subject, role) in new[] { ("frank", "customer"), ("sam", "support"), ("audrey", "auditor"), ("rita", "regulator") })
        {
            using var reader = hosts.ClientFor(subject, role);
            var response = await reader.GetAsync($"/v1/accounts/{id}");
            response.StatusCode.Should().Be(HttpStatusCode.OK, $"{role} reads accounts");
            (await response.JsonAsync()).GetProperty("email").GetString().Should().Be("frank@example.com");
        }

        foreach (var (subject, role) in new[] { ("grace", "customer"), ("shop", "partner"), ("ann", "analyst") })
        {
            using var reader = hosts.ClientFor(subject, role);
            var response = await reader.GetAsync($"/v1/accounts/{id}");
            response.StatusCode.Should().Be(HttpStatusCode.NotFound, $"a {role} that does not own it must not learn it exists");
            (await response.ProblemCodeAsync()).Should().Be("not_found");
        }
    }

    [Theory]
    [InlineData("acc_00000000000000000000000000000000")]
    [InlineData("not-an-id")]
    [InlineData("acc_ZZZZ")]
    public async Task unknown_or_malformed_ids_are_404(string id)
    {
        using var owner = hosts.ClientFor("frank");
        var response = await owner.GetAsync($"/v1/accounts/{id}");
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.ProblemCodeAsync()).Should().Be("not_found");
    }

    [Fact]
    public async Task without_a_token_it_is_401()
    {
        using var owner = hosts.ClientFor("frank");
        var (id, _) = await AccountFixtures.CreateAsync(owner);
        using var anonymous = hosts.ClientFor(null);
        var response = await anonymous.GetAsync($"/v1/accounts/{id}");
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await response.ProblemCodeAsync()).Should().Be("unauthenticated");
    }

    [Fact]
    public async Task the_cached_view_follows_every_edit_at_once()
    {
        using var owner = hosts.ClientFor("frank");
        var (id, _) = await AccountFixtures.CreateAsync(owner);
        for (var i = 0; i < 5; i++)
        {
            (await owner.GetAsync($"/v1/accounts/{id}")).StatusCode.Should().Be(HttpStatusCode.OK);
            var edit = await owner.PatchJsonAsync($"/v1/accounts/{id}", new { name = $"Version {i}" });
            edit.StatusCode.Should().Be(HttpStatusCode.OK);
            var read = await owner.GetAsync($"/v1/accounts/{id}");
            (await read.JsonAsync()).GetProperty("name").GetString().Should().Be($"Version {i}", "a read right after an edit sees it");
            read.Headers.ETag!.Tag.Should().Be($"\"{i + 2}\"");
        }
    }
}
