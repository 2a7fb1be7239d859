using static Ledger.Api.Tests.Audit.AuditFixtures;

namespace Ledger.Api.Tests.Audit;

public class audit_log_hosts : ApiHosts;

/// <summary>GET /v1/audit/events: the raw log in sequence order, each event chained to the one before.</summary>
public class reading_the_audit_log(audit_log_hosts hosts) : IClassFixture<audit_log_hosts>, IAsyncLifetime
{
    private LedgerClient _auditor = null!;
    private string _payer = string.Empty;

    public async Task InitializeAsync()
    {
        _auditor = hosts.ClientFor("auditor-1", "auditor");
        _payer = await Db.ScalarAsync<string>(hosts.ConnectionString, "select coalesce(min(id), '') from ledger.mt_doc_accountbalances");
        if (_payer.Length == 0)
        {
            (_payer, _) = await SomeHistoryAsync(hosts);
        }

        await SealedAndVerifiedAsync(_auditor);
    }

    public Task DisposeAsync()
    {
        _auditor.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task pages_walk_the_whole_log_in_order_and_each_event_links_to_the_previous_hash()
    {
        var sequences = new List<long>();
        string? previousHash = null;
        long? from = 0;
        while (from is not null)
        {
            var response = await _auditor.GetAsync($"/v1/audit/events?fromSequence={from}&limit=7");
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            var page = await response.JsonAsync();
            foreach (var e in page.GetProperty("events").EnumerateArray())
            {
                sequences.Add(e.GetProperty("sequence").GetInt64());
                e.GetProperty("type").GetString().Should().EndWith(".v1");
                e.GetProperty("data").ValueKind.Should().Be(System.Text.Json.JsonValueKind.Object);
                e.GetProperty("prevHash").GetString().Should().Be(previousHash ?? new string('0', 64));
                previousHash = e.GetProperty("hash").GetString();
                previousHash.Should().HaveLength(64);
            }

            from = page.TryGetProperty("nextFromSequence", out var next) ? next.GetInt64() : null;
        }

        sequences.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        sequences.Should().HaveCount((int)await Db.ScalarAsync<long>(hosts.ConnectionString, "select count(*) from ledger.mt_events"));
    }

    [Fact]
    public async Task one_streams_events_are_listed_with_their_versions()
    {
        var response = await _auditor.GetAsync($"/v1/audit/events?stream={_payer}");
        var events = (await response.JsonAsync()).GetProperty("events").EnumerateArray().ToList();
        events.Should().NotBeEmpty();
        events.Should().OnlyContain(e => e.GetProperty("streamId").GetString() == _payer);
        events.Select(e => e.GetProperty("version").GetInt64()).Should().Equal(Enumerable.Range(1, events.Count).Select(v => (long)v));
        events[0].GetProperty("type").GetString().Should().Be("account_opened.v1");
    }

    [Theory]
    [InlineData("/v1/audit/events?limit=0", "limit")]
    [InlineData("/v1/audit/events?limit=1001", "limit")]
    [InlineData("/v1/audit/events?fromSequence=-1", "fromSequence")]
    [InlineData("/v1/audit/events?fromSequence=abc", "fromSequence")]
    public async Task bad_paging_is_a_400_naming_the_field(string url, string field)
    {
        var response = await _auditor.GetAsync(url);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = await response.JsonAsync();
        problem.GetProperty("code").GetString().Should().Be("validation_failed");
        problem.GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue();
    }

    [Theory]
    [InlineData("customer")]
    [InlineData("analyst")]
    [InlineData("support")]
    public async Task other_roles_may_not_read_or_verify_the_log_or_replay(string role)
    {
        using var client = hosts.ClientFor("someone", role);
        foreach (var url in new[] { "/v1/audit/events", "/v1/audit/verify" })
        {
            var response = await client.GetAsync(url);
            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, url);
            (await response.ProblemCodeAsync()).Should().Be("forbidden");
        }

        var replay = await client.PostJsonAsync("/v1/audit/replay", new { });
        replay.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task a_regulator_reads_and_verifies_but_does_not_replay()
    {
        using var regulator = hosts.ClientFor("regulator-1", "regulator");
        (await regulator.GetAsync("/v1/audit/events?limit=1")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await regulator.GetAsync("/v1/audit/verify")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await regulator.PostJsonAsync("/v1/audit/replay", new { })).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task without_a_token_it_is_401()
    {
        using var anonymous = hosts.ClientFor(null);
        (await anonymous.GetAsync("/v1/audit/verify")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await anonymous.GetAsync("/v1/analytics/volume")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }
}
