namespace Ledger.Api.Tests.Accounts;

public class creating_accounts_hosts : ApiHosts;

public class creating_accounts(creating_accounts_hosts hosts) : IClassFixture<creating_accounts_hosts>
{
    [Fact]
    public async Task returns_201_with_location_etag_and_the_view()
    {
        using var alice = hosts.ClientFor("alice");
        var username = AccountFixtures.UniqueUsername("Alice");
        var response = await alice.PostJsonAsync("/v1/accounts", new { username, name = "Alice Liddell", email = "alice@Example.com" });

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        var json = await response.JsonAsync();
        var id = json.GetProperty("id").GetString()!;
        id.Should().StartWith("acc_");
        response.Headers.Location!.OriginalString.Should().Be($"/v1/accounts/{id}");
        response.Headers.ETag!.Tag.Should().Be("\"1\"");
        json.GetProperty("username").GetString().Should().Be(username.ToLowerInvariant());
        json.GetProperty("name").GetString().Should().Be("Alice Liddell");
        json.GetProperty("email").GetString().Should().Be("alice@example.com");
        json.GetProperty("status").GetString().Should().Be("active");
        json.GetProperty("version").GetInt64().Should().Be(1);
        json.GetProperty("balances").GetArrayLength().Should().Be(0);
        json.GetProperty("createdAt").GetDateTimeOffset().Offset.Should().Be(TimeSpan.Zero);

        var read = await alice.GetAsync($"/v1/accounts/{id}");
        read.StatusCode.Should().Be(HttpStatusCode.OK);
        (await read.JsonAsync()).GetProperty("name").GetString().Should().Be("Alice Liddell");
    }

    [Fact]
    public async Task a_taken_username_is_409_whatever_its_case()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var username = AccountFixtures.UniqueUsername("taken");
        await AccountFixtures.CreateAsync(alice, username);

        var response = await bob.PostJsonAsync("/v1/accounts", new { username = username.ToUpperInvariant(), name = "Bob", email = "bob@example.com" });
        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await response.ProblemCodeAsync()).Should().Be("conflict");
    }

    [Theory]
    [InlineData("""{"username":"ok_name1","name":"A","email":"not-an-email"}""", "email")]
    [InlineData("""{"name":"A","email":"a@example.com"}""", "username")]
    [InlineData("""{"username":"x","name":"A","email":"a@example.com"}""", "username")]
    [InlineData("""{"username":"ok_name2","name":"","email":"a@example.com"}""", "name")]
    [InlineData("""{"username":"ok_name3","name":"A","email":"a@example.com","status":"frozen"}""", "status")]
    public async Task invalid_fields_are_400_naming_the_field(string body, string field)
    {
        using var alice = hosts.ClientFor("alice");
        var response = await alice.SendRawAsync(HttpMethod.Post, "/v1/accounts", body);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var json = await response.JsonAsync();
        json.GetProperty("code").GetString().Should().Be("validation_failed");
        json.GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue(json.ToString());
    }

    [Theory]
    [InlineData("""{"username":"ok_name4","name":"A","email":"a@example.com""")]
    [InlineData("""{"username":42,"name":"A","email":"a@example.com"}""")]
    [InlineData("""{"username":"ok_name5","name":"A","email":"a@example.com","isAdmin":true}""")]
    [InlineData("""[1,2,3]""")]
    [InlineData("")]
    public async Task malformed_json_wrong_types_and_unknown_fields_are_400_and_write_nothing(string body)
    {
        using var alice = hosts.ClientFor("alice-malformed");
        var response = await alice.SendRawAsync(HttpMethod.Post, "/v1/accounts", body);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.ProblemCodeAsync()).Should().Be("validation_failed");
        // This subject only ever sends bad bodies, so it owns nothing: counting all streams instead raced with other
        // tests' writes to the class database now and then.
        (await Db.ScalarAsync<long>(hosts.ConnectionString, "select count(*) from ledger.mt_doc_accountstate where data->>'owner' = 'alice-malformed'"))
            .Should().Be(0, "nothing is written for a bad body");
        foreach (var username in new[] { "ok_name4", "ok_name5" })
        {
            (await UsernameClaimedAsync(username)).Should().BeFalse();
        }
    }

    [Fact]
    public async Task a_body_over_64_kb_is_413()
    {
        using var alice = hosts.ClientFor("alice");
        var body = $$"""{"username":"big_one","name":"{{new string('x', 70_000)}}","email":"a@example.com"}""";
        var response = await alice.SendRawAsync(HttpMethod.Post, "/v1/accounts", body);
        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        (await response.ProblemCodeAsync()).Should().Be("payload_too_large");
        (await UsernameClaimedAsync("big_one")).Should().BeFalse();
    }

    [Fact]
    public async Task a_body_that_is_not_json_is_415()
    {
        using var alice = hosts.ClientFor("alice");
        var response = await alice.SendRawAsync(HttpMethod.Post, "/v1/accounts", "username=a", "application/x-www-form-urlencoded");
        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        (await response.ProblemCodeAsync()).Should().Be("unsupported_media_type");
    }

    [Fact]
    public async Task without_a_token_it_is_401()
    {
        using var anonymous = hosts.ClientFor(null);
        var response = await anonymous.PostJsonAsync("/v1/accounts", new { username = "nobody1", name = "N", email = "n@example.com" });
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await response.ProblemCodeAsync()).Should().Be("unauthenticated");
        (await UsernameClaimedAsync("nobody1")).Should().BeFalse();
    }

    [Fact]
    public async Task a_token_signed_with_another_key_is_401()
    {
        using var client = hosts.Command.CreateClient();
        var forged = Ledger.ServiceDefaults.Auth.IssueToken(
            new Ledger.ServiceDefaults.AuthSettings { SigningKey = Convert.ToBase64String(new byte[64]) }, "alice", ["customer"], DateTimeOffset.UtcNow);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", forged);
        var response = await client.PostAsync("/v1/accounts", System.Net.Http.Json.JsonContent.Create(new { username = "forged1", name = "F", email = "f@example.com" }));
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task an_auditor_cannot_open_accounts()
    {
        using var auditor = hosts.ClientFor("audrey", "auditor");
        var response = await auditor.PostJsonAsync("/v1/accounts", new { username = "audit_acct", name = "A", email = "a@example.com" });
        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await response.ProblemCodeAsync()).Should().Be("forbidden");
    }

    private async Task<bool> UsernameClaimedAsync(string username) =>
        await Db.ScalarAsync<long>(hosts.ConnectionString, "select count(*) from ledger.mt_doc_usernameclaim where id = @p", username) > 0;
}
