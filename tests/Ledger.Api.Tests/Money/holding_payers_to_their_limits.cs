using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Money;

public class limit_hosts : ApiHosts
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings =>
    [
        new("Risk:MaxPerDay:USD", "100.00"),
        new("Risk:MaxPaymentsPerMinute", "3"),
    ];
}

/// <summary>The rules' velocity limits count every payment the payer made (a risk decision moves no money, yet it is
/// what the limits count: this once went unrecorded).</summary>
public class holding_payers_to_their_limits(limit_hosts hosts) : IClassFixture<limit_hosts>
{
    private static async Task<string> StatusOfPaymentAsync(LedgerClient client, string payer, string payee, string amount)
    {
        var response = await client.PostWithKeyAsync("/v1/payments", Payment(payer, payee, amount));
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.JsonAsync()).GetProperty("status").GetString()!;
    }

    [Fact]
    public async Task the_daily_limit_counts_the_days_earlier_payments()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        await DepositAsync(alice, payer, "200.00");
        (await StatusOfPaymentAsync(alice, payer, payee, "60.00")).Should().Be("completed");
        (await StatusOfPaymentAsync(alice, payer, payee, "50.00")).Should().Be("rejected", "60 + 50 is over the 100 a day");
        (await StatusOfPaymentAsync(alice, payer, payee, "40.00")).Should().Be("completed", "a rejected payment does not count");
        (await AvailableAsync(alice, payer)).Should().Be("200.00");
    }

    [Fact]
    public async Task the_fourth_payment_in_a_minute_is_rejected()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        for (var i = 0; i < 3; i++)
        {
            (await StatusOfPaymentAsync(alice, payer, payee, "1.00")).Should().Be("completed");
        }

        (await StatusOfPaymentAsync(alice, payer, payee, "1.00")).Should().Be("rejected");
    }
}
