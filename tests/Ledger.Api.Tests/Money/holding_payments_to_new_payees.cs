using Ledger.CommandApi.Protection;
using Marten;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Money;

/// <summary>Purchases to payees younger than a week are held for 14 days (or until the payer confirms).</summary>
public class hold_hosts : ApiHosts
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings =>
        [.. RatesSettings(), new("Protection:HoldNewPayeesDays", "7"), new("Protection:HoldDays", "14"), new("Protection:HoldSweepSeconds", "3600")];
}

public class holding_payments_to_new_payees(hold_hosts hosts) : IClassFixture<hold_hosts>
{
    private static async Task<string> PurchaseAsync(LedgerClient alice, string payer, string payee, string amount, string purpose = "purchase")
    {
        var response = await alice.PostRawWithKeyAsync("/v1/payments",
            $$"""{"payerAccountId":"{{payer}}","payeeAccountId":"{{payee}}","amount":{"amount":"{{amount}}","currency":"USD"},"purpose":"{{purpose}}"}""",
            Guid.NewGuid().ToString(), prefer: "wait=5");
        response.StatusCode.Should().Be(HttpStatusCode.Created);
        return (await response.JsonAsync()).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task a_purchase_waits_in_held_until_the_payer_confirms_in_and_across_shards()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, sameShard, otherShard) = await ShardedTrioAsync(hosts, alice, bob);
        foreach (var payee in new[] { sameShard, otherShard })
        {
            var payment = await PurchaseAsync(alice, payer, payee, "20.00");
            await EventuallyAsync(async () => (await BalanceAsync(bob, payee)).GetProperty("held").GetString()!, "20.00");

            (await AvailableAsync(bob, payee)).Should().Be("0.00");
            (await (await bob.PostWithKeyAsync($"/v1/payments/{payment}/refunds", new { reason = "x" })).ProblemCodeAsync()).Should().Be("payment_held");
            (await bob.PostWithKeyAsync($"/v1/payments/{payment}/release", new { })).StatusCode.Should().Be(HttpStatusCode.Forbidden);

            var released = await alice.PostWithKeyAsync($"/v1/payments/{payment}/release", new { });
            released.StatusCode.Should().Be(HttpStatusCode.OK, await released.Content.ReadAsStringAsync());
            (await AvailableAsync(bob, payee)).Should().Be("20.00");
            (await (await alice.PostWithKeyAsync($"/v1/payments/{payment}/release", new { })).ProblemCodeAsync()).Should().Be("payment_not_held");
        }
    }

    [Fact]
    public async Task personal_payments_are_not_held()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        await PurchaseAsync(alice, payer, payee, "7.00", purpose: "personal");
        (await AvailableAsync(bob, payee)).Should().Be("7.00");
    }

    [Fact]
    public async Task the_expiry_job_releases_holds_whose_period_ended_by_its_clock_and_no_others()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        await PurchaseAsync(alice, payer, payee, "9.00");
        var store = hosts.Command.Services.GetRequiredService<IDocumentStore>();
        var configuration = hosts.Command.Services.GetRequiredService<IConfiguration>();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var job = new HoldExpiry(hosts.Engine, store, clock, configuration, NullLogger<HoldExpiry>.Instance);

        clock.Advance(TimeSpan.FromDays(13));
        await job.SweepAsync(CancellationToken.None);
        (await BalanceAsync(bob, payee)).GetProperty("held").GetString().Should().Be("9.00", "13 days is inside the 14-day hold");

        clock.Advance(TimeSpan.FromDays(1.01));
        (await job.SweepAsync(CancellationToken.None)).Should().BeGreaterThanOrEqualTo(1);
        (await AvailableAsync(bob, payee)).Should().Be("9.00");
        (await BalanceAsync(bob, payee)).GetProperty("held").GetString().Should().Be("0.00");
    }
}
