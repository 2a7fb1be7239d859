using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Api.Tests.Accounts;

public class editing_accounts_hosts : ApiHosts;

public class editing_accounts(editing_accounts_hosts hosts) : IClassFixture<editing_accounts_hosts>
{
    [Fact]
    public async Task each_changed_field_is_its_own_event_and_the_version_moves_with_them()
    {
        using var alice = hosts.ClientFor("alice");
        var (id, etag) = await AccountFixtures.CreateAsync(alice);
        var username = AccountFixtures.UniqueUsername("renamed");

        var response = await alice.PatchJsonAsync($"/v1/accounts/{id}", new { name = "Alice P. Liddell", email = "alice@wonder.land", username, status = "active" }, etag);

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        response.Headers.ETag!.Tag.Should().Be("\"4\"", "three fields changed, status did not");
        var view = await response.JsonAsync();
        view.GetProperty("name").GetString().Should().Be("Alice P. Liddell");
        view.GetProperty("email").GetString().Should().Be("alice@wonder.land");
        view.GetProperty("username").GetString().Should().Be(username);

        var types = await EventTypesAsync(id);
        types.Should().Equal("account_opened.v1", "account_username_changed.v1", "account_name_changed.v1", "account_email_changed.v1");

        var read = await alice.GetAsync($"/v1/accounts/{id}");
        read.Headers.ETag!.Tag.Should().Be("\"4\"");
        (await read.JsonAsync()).GetProperty("email").GetString().Should().Be("alice@wonder.land");
    }

    [Fact]
    public async Task sending_the_same_values_changes_nothing()
    {
        using var alice = hosts.ClientFor("alice");
        var (id, _) = await AccountFixtures.CreateAsync(alice, name: "Same Name", email: "same@example.com");
        var response = await alice.PatchJsonAsync($"/v1/accounts/{id}", new { name = "Same Name", email = "same@example.com" });
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.ETag!.Tag.Should().Be("\"1\"");
        (await EventTypesAsync(id)).Should().HaveCount(1);
    }

    [Fact]
    public async Task a_stale_if_match_is_412_and_writes_nothing()
    {
        using var alice = hosts.ClientFor("alice");
        var (id, etag) = await AccountFixtures.CreateAsync(alice);
        (await alice.PatchJsonAsync($"/v1/accounts/{id}", new { name = "First" }, etag)).StatusCode.Should().Be(HttpStatusCode.OK);

        var stale = await alice.PatchJsonAsync($"/v1/accounts/{id}", new { name = "Second" }, etag);
        stale.StatusCode.Should().Be(HttpStatusCode.PreconditionFailed);
        (await stale.ProblemCodeAsync()).Should().Be("version_mismatch");
        (await (await alice.GetAsync($"/v1/accounts/{id}")).JsonAsync()).GetProperty("name").GetString().Should().Be("First");
    }

    [Fact]
    public async Task someone_elses_account_is_404_before_any_other_check()
    {
        using var alice = hosts.ClientFor("alice");
        using var mallory = hosts.ClientFor("mallory");
        var (id, _) = await AccountFixtures.CreateAsync(alice);

        var response = await mallory.PatchJsonAsync($"/v1/accounts/{id}", new { name = "Mallory" }, "\"99\"");
        response.StatusCode.Should().Be(HttpStatusCode.NotFound, "ownership comes before the version check");
        (await response.ProblemCodeAsync()).Should().Be("not_found");
        (await mallory.GetAsync($"/v1/accounts/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await mallory.DeleteAsync($"/v1/accounts/{id}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await EventTypesAsync(id)).Should().HaveCount(1);
    }

    [Theory]
    [InlineData("""{"nickname":"x"}""", "nickname")]
    [InlineData("""{"name":null}""", "name")]
    [InlineData("""{"name":5}""", "name")]
    [InlineData("""{"email":"nope"}""", "email")]
    [InlineData("""{"status":"deleted"}""", "status")]
    [InlineData("""{}""", "$")]
    [InlineData("""[]""", "$")]
    [InlineData("""{"name":""", "$")]
    public async Task bad_patches_are_400_naming_the_field_and_write_nothing(string body, string field)
    {
        using var alice = hosts.ClientFor("alice");
        var (id, _) = await AccountFixtures.CreateAsync(alice);
        var response = await alice.SendRawAsync(HttpMethod.Patch, $"/v1/accounts/{id}", body);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var json = await response.JsonAsync();
        json.GetProperty("code").GetString().Should().Be("validation_failed");
        json.GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue(json.ToString());
        (await EventTypesAsync(id)).Should().HaveCount(1);
    }

    [Fact]
    public async Task a_malformed_if_match_is_400()
    {
        using var alice = hosts.ClientFor("alice");
        var (id, _) = await AccountFixtures.CreateAsync(alice);
        var response = await alice.PatchJsonAsync($"/v1/accounts/{id}", new { name = "X" }, "\"abc\"");
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task only_support_suspends_and_reactivates()
    {
        using var alice = hosts.ClientFor("alice");
        using var support = hosts.ClientFor("sam", "support");
        var (id, _) = await AccountFixtures.CreateAsync(alice);

        var byOwner = await alice.PatchJsonAsync($"/v1/accounts/{id}", new { status = "suspended" });
        byOwner.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await byOwner.ProblemCodeAsync()).Should().Be("forbidden");

        var bySupport = await support.PatchJsonAsync($"/v1/accounts/{id}", new { status = "suspended" });
        bySupport.StatusCode.Should().Be(HttpStatusCode.OK);
        (await bySupport.JsonAsync()).GetProperty("status").GetString().Should().Be("suspended");

        (await alice.PatchJsonAsync($"/v1/accounts/{id}", new { status = "active" })).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await support.PatchJsonAsync($"/v1/accounts/{id}", new { status = "active" })).StatusCode.Should().Be(HttpStatusCode.OK);
        (await EventTypesAsync(id)).Should().Equal("account_opened.v1", "account_suspended.v1", "account_reactivated.v1");
    }

    [Fact]
    public async Task a_closed_account_cannot_be_edited_or_reopened()
    {
        using var alice = hosts.ClientFor("alice");
        using var support = hosts.ClientFor("sam", "support");
        var (id, _) = await AccountFixtures.CreateAsync(alice);
        (await alice.PatchJsonAsync($"/v1/accounts/{id}", new { status = "closed" })).StatusCode.Should().Be(HttpStatusCode.OK);

        var edit = await alice.PatchJsonAsync($"/v1/accounts/{id}", new { name = "Too late" });
        edit.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await edit.ProblemCodeAsync()).Should().Be("account_closed");
        var reopen = await support.PatchJsonAsync($"/v1/accounts/{id}", new { status = "active" });
        reopen.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await reopen.ProblemCodeAsync()).Should().Be("account_closed");
    }

    [Fact]
    public async Task renaming_frees_the_old_username_and_a_taken_one_is_409()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var oldName = AccountFixtures.UniqueUsername("old");
        var bobsName = AccountFixtures.UniqueUsername("bob");
        var (aliceId, _) = await AccountFixtures.CreateAsync(alice, oldName);
        var (bobId, _) = await AccountFixtures.CreateAsync(bob, bobsName);

        var taken = await alice.PatchJsonAsync($"/v1/accounts/{aliceId}", new { username = bobsName });
        taken.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await EventTypesAsync(aliceId)).Should().HaveCount(1, "a refused rename writes nothing");

        (await alice.PatchJsonAsync($"/v1/accounts/{aliceId}", new { username = AccountFixtures.UniqueUsername("new") })).StatusCode.Should().Be(HttpStatusCode.OK);
        (await bob.PatchJsonAsync($"/v1/accounts/{bobId}", new { username = oldName })).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task concurrent_edits_without_if_match_all_land_and_none_is_lost()
    {
        using var alice = hosts.ClientFor("alice");
        var (id, _) = await AccountFixtures.CreateAsync(alice);
        var edits = Enumerable.Range(0, 8).Select(i => alice.PatchJsonAsync($"/v1/accounts/{id}", new { name = $"Name {i}" }));
        var responses = await Task.WhenAll(edits);
        var statuses = responses.Select(r => r.StatusCode).ToList();
        statuses.Should().OnlyContain(s => s == HttpStatusCode.OK || s == HttpStatusCode.PreconditionFailed);
        var applied = statuses.Count(s => s == HttpStatusCode.OK);
        (await EventTypesAsync(id)).Should().HaveCount(1 + applied, "every 200 is exactly one event; a 412 wrote nothing");
    }

    /// <summary>Opening, editing and erasing an account each write through the account-write pool, whose statements
    /// keep index-only plans (planning_account_writes checks the pool's plans; this, that the endpoints use it).</summary>
    [Fact]
    public async Task opening_editing_and_erasing_write_through_the_index_planned_pool()
    {
        var sessions = hosts.Command.Services.GetRequiredService<Ledger.Projections.Store.IndexPlannedSessions>();
        using var alice = hosts.ClientFor("alice");
        var before = sessions.Opened;
        var (id, _) = await AccountFixtures.CreateAsync(alice);
        (await alice.PatchJsonAsync($"/v1/accounts/{id}", new { name = "Alice Edited" })).StatusCode.Should().Be(HttpStatusCode.OK);
        (await alice.DeleteAsync($"/v1/accounts/{id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (sessions.Opened - before).Should().Be(3, "each of the three writes opens one session on the pool, and nothing else does");
    }

    [Fact]
    public async Task a_lost_race_at_commit_is_not_logged_as_an_error_nor_with_its_values()
    {
        using var alice = hosts.ClientFor("alice");
        var (id, _) = await AccountFixtures.CreateAsync(alice);
        var store = hosts.Command.Services.GetRequiredService<Marten.IDocumentStore>();
        await using var first = store.LightweightSession();
        await using var second = store.LightweightSession();
        var edits = new[] { first, second }.Select(async (session, i) =>
        {
            var stream = await session.Events.FetchForWriting<Ledger.Domain.Accounts.AccountState>(id);
            stream.AppendOne(new Ledger.Domain.Accounts.AccountNameChanged(id, new Ledger.Domain.Accounts.Protected($"c{i}", "f"), DateTimeOffset.UtcNow));
            return session;
        }).ToList();
        await Task.WhenAll(edits);
        await first.SaveChangesAsync();
        var lost = async () => await second.SaveChangesAsync(); // both read the same version: the second loses
        await lost.Should().ThrowAsync<JasperFx.ConcurrencyException>();

        // Callers handle this race (the edit endpoint decides again); Marten's own logger wrote it at Error, with a
        // stack trace and every parameter's value.
        hosts.Logs.Lines.Should().NotContain(line => line.StartsWith("Error", StringComparison.Ordinal) && line.Contains(id, StringComparison.Ordinal));
        hosts.Logs.Lines.Should().NotContain(line => line.Contains(id, StringComparison.Ordinal) && line.Contains("mt_quick_append_events", StringComparison.Ordinal),
            "a failed command is logged without its parameter values");
    }

    private async Task<List<string>> EventTypesAsync(string id)
    {
        await using var connection = new Npgsql.NpgsqlConnection(hosts.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("select type from ledger.mt_events where stream_id = @id order by version", connection);
        command.Parameters.AddWithValue("id", id);
        var types = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            types.Add(reader.GetString(0));
        }

        return types;
    }
}
