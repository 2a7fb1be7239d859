using System.Text.Json;
using Ledger.Api.Tests.Money;
using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Statements;

/// <summary>Rates for cross-currency payments; payments above 500 USD wait for review (their reserve stays pending).</summary>
public abstract class StatementHostsBase : ApiHosts
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings => [.. RatesSettings(), new("Risk:ReviewAbove:USD", "500")];
}

/// <summary>
/// A history across deposits, a purchase, a refund, a cross-currency payment and a payment held for review, with the
/// instant after each step and the balances both accounts showed at that instant (read once everything had settled).
/// </summary>
public sealed record StatementHistory(string Alice, string Bob, IReadOnlyList<(DateTimeOffset At, string Alice, string Bob)> Steps)
{
    public static async Task<StatementHistory> BuildAsync(ApiHosts hosts)
    {
        using var alice = hosts.ClientFor("st-alice");
        using var bob = hosts.ClientFor("st-bob");
        var (a, _) = await AccountFixtures.CreateAsync(alice);
        var (b, _) = await AccountFixtures.CreateAsync(bob);
        var steps = new List<(DateTimeOffset, string, string)>();

        async Task Step()
        {
            var aliceNow = await Balances(alice, a);
            var bobNow = await Balances(bob, b);
            steps.Add((DateTimeOffset.UtcNow, aliceNow, bobNow));
        }

        await Step(); // 0: nothing yet
        await DepositAsync(alice, a, "100.00");
        await Step(); // 1: alice 100
        var purchase = await PayAsync(alice, Payment(a, b, "30.00", purpose: "purchase"));
        await EventuallyAsync(() => AvailableAsync(bob, b), "30.00");
        await Step(); // 2: alice 70, bob 30
        var refund = await bob.PostWithKeyAsync($"/v1/payments/{purchase}/refunds", new { amount = Amount("10.00"), reason = "one item missing" });
        refund.StatusCode.Should().Be(HttpStatusCode.Created, await refund.Content.ReadAsStringAsync());
        await EventuallyAsync(() => AvailableAsync(alice, a), "80.00");
        await Step(); // 3: alice 80, bob 20
        await PayAsync(alice, new { payerAccountId = a, payeeAccountId = b, amount = Amount("20.00"), payeeCurrency = "EUR", purpose = "personal" });
        await EventuallyAsync(async () => (await BalanceAsync(bob, b, "EUR")).GetProperty("available").GetString() == "0" ? "no" : "yes", "yes");
        await Step(); // 4: alice 60 USD, bob 20 USD and some EUR
        await DepositAsync(alice, a, "1000.00");
        var review = await PayAsync(alice, Payment(a, b, "600.00"), "in_review");
        review.Should().StartWith("pay_");
        await Step(); // 5: alice 460 available, 600 pending
        return new StatementHistory(a, b, steps);
    }

    public static async Task<string> Balances(LedgerClient client, string account, string? asOf = null)
    {
        var response = await client.GetAsync($"/v1/accounts/{account}/balances{(asOf is null ? string.Empty : "?asOf=" + Uri.EscapeDataString(asOf))}");
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return body;
    }

    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<string> PayAsync(LedgerClient client, object body, string status = "completed")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/payments") { Content = System.Net.Http.Json.JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        request.Headers.Add("Prefer", "wait=5");
        var response = await client.SendAsync(request);
        var json = await response.JsonAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, json.ToString());
        json.GetProperty("status").GetString().Should().Be(status);
        return json.GetProperty("id").GetString()!;
    }
}

public static class JsonBalances
{
    /// <summary>{currency: "available/pending/held"} from a balances array.</summary>
    public static Dictionary<string, string> Of(string json) =>
        JsonDocument.Parse(json).RootElement.EnumerateArray().ToDictionary(
            b => b.GetProperty("currency").GetString()!,
            b => $"{b.GetProperty("available").GetString()}/{b.GetProperty("pending").GetString()}/{b.GetProperty("held").GetString()}");
}
