using System.Text.Json;
using static Ledger.Api.Tests.Audit.AuditFixtures;
using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Audit;

public class analytics_hosts : ApiHosts;

/// <summary>GET /v1/analytics/volume: counts and sums per interval, currency and kind; aggregates only.</summary>
public class reading_volume_analytics(analytics_hosts hosts) : IClassFixture<analytics_hosts>, IAsyncLifetime
{
    private LedgerClient _analyst = null!;

    public async Task InitializeAsync()
    {
        _analyst = hosts.ClientFor("analyst-1", "analyst");
        if (await Db.ScalarAsync<long>(hosts.ConnectionString, "select count(*) from ledger.mt_events where type = 'funds_deposited.v1'") == 0)
        {
            using var alice = hosts.ClientFor("alice");
            var a = await FundedAccountAsync(alice, "100.00");
            var b = await FundedAccountAsync(alice, "20.00");
            await DepositAsync(alice, b, "1.05", "EUR");
            (await alice.PostWithKeyAsync("/v1/payments", Payment(a, b, "12.34"))).StatusCode.Should().Be(HttpStatusCode.Created);
            (await alice.PostWithKeyAsync("/v1/payments", Payment(b, a, "0.66"))).StatusCode.Should().Be(HttpStatusCode.Created);
            await Money.LedgerInvariants.WaitForSettlementAsync(hosts.ConnectionString);
        }

        using var auditor = hosts.ClientFor("auditor-1", "auditor");
        await SealedAndVerifiedAsync(auditor);
    }

    public Task DisposeAsync()
    {
        _analyst.Dispose();
        return Task.CompletedTask;
    }

    private static Dictionary<(string Currency, string Kind), (long Count, string Amount)> Totals(JsonElement view) =>
        view.GetProperty("buckets").EnumerateArray()
            .GroupBy(b => (b.GetProperty("currency").GetString()!, b.GetProperty("kind").GetString()!))
            .ToDictionary(g => g.Key, g => (g.Sum(b => b.GetProperty("count").GetInt64()),
                g.Sum(b => decimal.Parse(b.GetProperty("amount").GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public async Task todays_deposits_and_payments_are_counted_and_summed_per_currency()
    {
        var response = await _analyst.GetAsync("/v1/analytics/volume?interval=hour");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var body = await response.Content.ReadAsStringAsync();
        var totals = Totals(JsonDocument.Parse(body).RootElement);

        totals[("USD", "deposit")].Should().Be((2L, "120.00"));
        totals[("EUR", "deposit")].Should().Be((1L, "1.05"));
        totals[("USD", "payment")].Should().Be((2L, "13.00"));
        body.Should().NotContain("acc_").And.NotContain("alice", "aggregates carry no account ids and no people");
    }

    [Fact]
    public async Task daily_totals_equal_the_sum_of_the_hours_and_a_currency_filter_keeps_only_it()
    {
        var hourly = Totals(await (await _analyst.GetAsync("/v1/analytics/volume?interval=hour")).JsonAsync());
        var daily = await (await _analyst.GetAsync("/v1/analytics/volume?interval=day&currency=EUR")).JsonAsync();

        Totals(daily).Should().BeEquivalentTo(hourly.Where(x => x.Key.Currency == "EUR").ToDictionary());
        daily.GetProperty("interval").GetString().Should().Be("day");
        daily.GetProperty("from").GetDateTimeOffset().TimeOfDay.Should().Be(TimeSpan.Zero);
    }

    [Fact]
    public async Task a_window_before_anything_happened_is_empty()
    {
        var view = await (await _analyst.GetAsync("/v1/analytics/volume?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z")).JsonAsync();
        view.GetProperty("buckets").GetArrayLength().Should().Be(0);
    }

    [Theory]
    [InlineData("interval=week", "interval")]
    [InlineData("currency=usd", "currency")]
    [InlineData("from=tomorrow", "from")]
    [InlineData("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "to")]
    [InlineData("interval=hour&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", "from")]
    public async Task bad_parameters_are_a_400_naming_the_field(string query, string field)
    {
        var response = await _analyst.GetAsync("/v1/analytics/volume?" + query);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.JsonAsync()).GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue();
    }

    [Fact]
    public async Task customers_may_not_read_analytics()
    {
        using var customer = hosts.ClientFor("alice");
        var response = await customer.GetAsync("/v1/analytics/volume");
        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await response.ProblemCodeAsync()).Should().Be("forbidden");
    }
}
