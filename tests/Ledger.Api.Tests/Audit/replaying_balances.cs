using System.Text.Json;
using static Ledger.Api.Tests.Audit.AuditFixtures;

namespace Ledger.Api.Tests.Audit;

public class replay_hosts : ApiHosts;

/// <summary>POST /v1/audit/replay: balances rebuilt from the raw events' postings, compared with the projections.</summary>
public class replaying_balances(replay_hosts hosts) : IClassFixture<replay_hosts>, IAsyncLifetime
{
    private LedgerClient _auditor = null!;
    private string _payer = string.Empty;

    public async Task InitializeAsync()
    {
        _auditor = hosts.ClientFor("auditor-1", "auditor");
        _payer = await Db.ScalarAsync<string?>(hosts.ConnectionString,
            "select data->>'accountId' from ledger.mt_events where type = 'funds_withdrawn.v1' limit 1") ?? string.Empty;
        if (_payer.Length == 0)
        {
            (_payer, _) = await SomeHistoryAsync(hosts);
        }
    }

    public Task DisposeAsync()
    {
        _auditor.Dispose();
        return Task.CompletedTask;
    }

    private async Task<JsonElement> ReplayAsync(object body)
    {
        var response = await _auditor.PostJsonAsync("/v1/audit/replay", body);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.JsonAsync();
    }

    [Fact]
    public async Task the_projections_match_a_replay_of_every_event()
    {
        var report = await ReplayAsync(new { });

        report.GetProperty("matches").GetBoolean().Should().BeTrue(report.ToString());
        report.GetProperty("differences").GetArrayLength().Should().Be(0);
        report.GetProperty("events").GetInt64().Should().Be(
            await Db.ScalarAsync<long>(hosts.ConnectionString, "select count(*) from ledger.mt_events where data ? 'legs'"));
        report.GetProperty("accounts").GetInt32().Should().Be(
            (int)await Db.ScalarAsync<long>(hosts.ConnectionString, "select count(*) from ledger.mt_doc_accountbalances"));
    }

    [Fact]
    public async Task a_balance_changed_behind_the_ledgers_back_is_reported_with_both_figures()
    {
        await AsSuperuserBypassingTriggersAsync(hosts.ConnectionString, """
            update ledger.mt_doc_accountbalances
            set data = jsonb_set(data, '{balances,USD,available}', to_jsonb((data->'balances'->'USD'->>'available')::bigint + 1000))
            where id = @a
            """, ("a", _payer));
        try
        {
            var report = await ReplayAsync(new { });

            report.GetProperty("matches").GetBoolean().Should().BeFalse();
            var difference = report.GetProperty("differences").EnumerateArray().Should().ContainSingle().Subject;
            difference.GetProperty("accountId").GetString().Should().Be(_payer);
            difference.GetProperty("currency").GetString().Should().Be("USD");
            difference.GetProperty("field").GetString().Should().Be("available");
            difference.GetProperty("source").GetString().Should().Be("balances");
            var replayed = decimal.Parse(difference.GetProperty("replayed").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            var stored = decimal.Parse(difference.GetProperty("stored").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            (stored - replayed).Should().Be(10.00m);
        }
        finally
        {
            await AsSuperuserBypassingTriggersAsync(hosts.ConnectionString, """
                update ledger.mt_doc_accountbalances
                set data = jsonb_set(data, '{balances,USD,available}', to_jsonb((data->'balances'->'USD'->>'available')::bigint - 1000))
                where id = @a
                """, ("a", _payer));
        }
    }

    [Fact]
    public async Task a_missing_history_line_is_reported_against_the_entries()
    {
        var seq = await Db.ScalarAsync<long>(hosts.ConnectionString, "select max(seq) from ledger.entries where account_id = @p", _payer);
        await Db.ExecuteAsync(hosts.ConnectionString, $"create table public.kept_entry as select * from ledger.entries where account_id = '{_payer}' and seq = {seq}");
        await Db.ExecuteAsync(hosts.ConnectionString, $"delete from ledger.entries where account_id = '{_payer}' and seq = {seq}");
        try
        {
            var report = await ReplayAsync(new { });

            report.GetProperty("matches").GetBoolean().Should().BeFalse();
            var fields = report.GetProperty("differences").EnumerateArray()
                .Select(d => (d.GetProperty("accountId").GetString(), d.GetProperty("field").GetString(), d.GetProperty("source").GetString())).ToList();
            fields.Should().Contain((_payer, "entryCount", "entries"));
            fields.Should().OnlyContain(f => f.Item1 == _payer && f.Item3 == "entries");
        }
        finally
        {
            await Db.ExecuteAsync(hosts.ConnectionString, "insert into ledger.entries select * from public.kept_entry; drop table public.kept_entry");
        }
    }

    [Fact]
    public async Task as_of_an_instant_before_any_money_moved_nothing_is_replayed()
    {
        var report = await ReplayAsync(new { asOf = "2000-01-01T00:00:00Z" });

        report.GetProperty("events").GetInt64().Should().Be(0);
        report.GetProperty("matches").GetBoolean().Should().BeTrue();
        report.GetProperty("asOf").GetDateTimeOffset().Should().Be(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task as_of_an_instant_between_movements_the_history_agrees_with_the_replay_up_to_it()
    {
        var middle = await Db.ScalarAsync<DateTime>(hosts.ConnectionString,
            "select occurred_at from ledger.entries where account_id = @p order by seq limit 1 offset 1", _payer);
        var report = await ReplayAsync(new { asOf = new DateTimeOffset(middle, TimeSpan.Zero).ToString("O") });

        report.GetProperty("matches").GetBoolean().Should().BeTrue(report.ToString());
        report.GetProperty("events").GetInt64().Should().BeGreaterThan(0).And.BeLessThan(
            await Db.ScalarAsync<long>(hosts.ConnectionString, "select count(*) from ledger.mt_events where data ? 'legs'"));
    }

    [Theory]
    [InlineData("""{"asOf":"yesterday"}""")]
    [InlineData("""{"asOf":12}""")]
    [InlineData("""{"since":"2026-01-01T00:00:00Z"}""")]
    public async Task a_bad_body_is_a_400(string body)
    {
        var response = await _auditor.SendRawAsync(HttpMethod.Post, "/v1/audit/replay", body);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.ProblemCodeAsync()).Should().Be("validation_failed");
    }

    [Fact]
    public async Task an_empty_body_replays_everything()
    {
        var response = await _auditor.SendRawAsync(HttpMethod.Post, "/v1/audit/replay", string.Empty);
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        (await response.JsonAsync()).GetProperty("matches").GetBoolean().Should().BeTrue();
    }
}
