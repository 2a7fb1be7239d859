using System.Text.Json;
using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Money;

public class protection_hosts : ApiHosts
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings => RatesSettings();
}

/// <summary>SPEC "Buyer and seller protection" over HTTP: refunds, disputes, resolution, the protection reserve.</summary>
public class protecting_buyers_and_sellers(protection_hosts hosts) : IClassFixture<protection_hosts>
{
    private static async Task<string> PayAsync(LedgerClient payer, string from, string to, string amount, string purpose = "purchase")
    {
        var response = await payer.PostRawWithKeyAsync("/v1/payments",
            $$"""{"payerAccountId":"{{from}}","payeeAccountId":"{{to}}","amount":{"amount":"{{amount}}","currency":"USD"},"purpose":"{{purpose}}"}""",
            Guid.NewGuid().ToString(), prefer: "wait=5");
        response.StatusCode.Should().Be(HttpStatusCode.Created);
        var json = await response.JsonAsync();
        json.GetProperty("status").GetString().Should().Be("completed");
        return json.GetProperty("id").GetString()!;
    }

    private static Task<HttpResponseMessage> RefundAsync(LedgerClient client, string payment, string? amount, string? key = null) =>
        client.PostWithKeyAsync($"/v1/payments/{payment}/refunds",
            amount is null ? new { reason = "returned goods" } : new { amount = Amount(amount), reason = "returned goods" }, key);

    private static async Task<string> StatusAsync(LedgerClient client, string payment) =>
        (await (await client.GetAsync($"/v1/payments/{payment}")).JsonAsync()).GetProperty("status").GetString()!;

    [Fact]
    public async Task a_full_refund_returns_everything_once_in_and_across_shards()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, sameShard, otherShard) = await ShardedTrioAsync(hosts, alice, bob);
        foreach (var payee in new[] { sameShard, otherShard })
        {
            var payment = await PayAsync(alice, payer, payee, "40.00");
            var key = Guid.NewGuid().ToString();
            var refund = await RefundAsync(bob, payment, null, key);
            refund.StatusCode.Should().Be(HttpStatusCode.Created, await refund.Content.ReadAsStringAsync());
            var json = await refund.JsonAsync();
            json.GetProperty("id").GetString().Should().StartWith("ref_");
            json.GetProperty("paymentStatus").GetString().Should().Be("refunded");
            (await (await RefundAsync(bob, payment, null, key)).Content.ReadAsStringAsync()).Should().Be(await refund.Content.ReadAsStringAsync());
            (await (await RefundAsync(bob, payment, "1.00")).ProblemCodeAsync()).Should().Be("payment_not_refundable");
            await EventuallyAsync(() => AvailableAsync(alice, payer), "100.00");
            (await AvailableAsync(bob, payee)).Should().Be("0.00");
            (await StatusAsync(alice, payment)).Should().Be("refunded");
        }
    }

    [Fact]
    public async Task concurrent_partial_refunds_never_exceed_the_payment()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, _, payee) = await ShardedTrioAsync(hosts, alice, bob);
        await DepositAsync(bob, payee, "100.00");
        var payment = await PayAsync(alice, payer, payee, "20.00");

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => RefundAsync(bob, payment, "5.00")));

        answers.Count(a => a.StatusCode == HttpStatusCode.Created).Should().Be(4);
        foreach (var refused in answers.Where(a => a.StatusCode != HttpStatusCode.Created))
        {
            (await refused.ProblemCodeAsync()).Should().BeOneOf("refund_exceeds_payment", "payment_not_refundable");
        }

        (await StatusAsync(alice, payment)).Should().Be("refunded");
        await EventuallyAsync(() => AvailableAsync(alice, payer), "100.00");
        (await AvailableAsync(bob, payee)).Should().Be("100.00");
    }

    [Fact]
    public async Task a_partial_refund_leaves_the_payment_partially_refunded_and_only_the_payee_or_support_may_refund()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        using var mallory = hosts.ClientFor("mallory");
        using var support = hosts.ClientFor("sam", "support");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        var payment = await PayAsync(alice, payer, payee, "30.00");

        (await RefundAsync(alice, payment, "1.00")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await RefundAsync(mallory, payment, "1.00")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await (await RefundAsync(bob, payment, "30.01")).ProblemCodeAsync()).Should().Be("refund_exceeds_payment");
        (await (await RefundAsync(bob, payment, "1.001")).ProblemCodeAsync()).Should().Be("validation_failed");

        (await RefundAsync(bob, payment, "10.00")).StatusCode.Should().Be(HttpStatusCode.Created);
        (await StatusAsync(alice, payment)).Should().Be("partially_refunded");
        (await RefundAsync(support, payment, "5.00")).StatusCode.Should().Be(HttpStatusCode.Created);
        (await AvailableAsync(alice, payer)).Should().Be("85.00");
        (await AvailableAsync(bob, payee)).Should().Be("15.00");
    }

    [Fact]
    public async Task a_dispute_holds_the_money_and_a_buyer_outcome_returns_it_across_shards()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        using var mallory = hosts.ClientFor("mallory");
        using var support = hosts.ClientFor("sam", "support");
        var (payer, _, payee) = await ShardedTrioAsync(hosts, alice, bob);
        var payment = await PayAsync(alice, payer, payee, "25.00");

        (await bob.PostWithKeyAsync($"/v1/payments/{payment}/disputes", new { reason = "not_received" })).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var opened = await alice.PostWithKeyAsync($"/v1/payments/{payment}/disputes", new { reason = "not_received", details = "never arrived" });
        opened.StatusCode.Should().Be(HttpStatusCode.Created, await opened.Content.ReadAsStringAsync());
        var dispute = (await opened.JsonAsync()).GetProperty("id").GetString()!;
        (await (await alice.PostWithKeyAsync($"/v1/payments/{payment}/disputes", new { reason = "not_received" })).ProblemCodeAsync()).Should().Be("dispute_open");
        (await (await RefundAsync(bob, payment, "1.00")).ProblemCodeAsync()).Should().Be("dispute_open");

        var held = await BalanceAsync(bob, payee);
        held.GetProperty("available").GetString().Should().Be("0.00");
        held.GetProperty("held").GetString().Should().Be("25.00");
        (await (await bob.GetAsync($"/v1/disputes/{dispute}")).JsonAsync()).GetProperty("status").GetString().Should().Be("open");
        (await mallory.GetAsync($"/v1/disputes/{dispute}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await (await alice.GetAsync($"/v1/accounts/{payer}/disputes")).JsonAsync()).EnumerateArray().Select(d => d.GetProperty("id").GetString()).Should().Contain(dispute);

        (await alice.PostWithKeyAsync($"/v1/disputes/{dispute}/resolve", new { outcome = "buyer" })).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var resolved = await support.PostWithKeyAsync($"/v1/disputes/{dispute}/resolve", new { outcome = "buyer", note = "no proof of delivery" });
        resolved.StatusCode.Should().Be(HttpStatusCode.OK, await resolved.Content.ReadAsStringAsync());
        (await resolved.JsonAsync()).GetProperty("status").GetString().Should().Be("resolved_buyer");
        (await (await support.PostWithKeyAsync($"/v1/disputes/{dispute}/resolve", new { outcome = "seller" })).ProblemCodeAsync()).Should().Be("dispute_not_open");

        await EventuallyAsync(() => AvailableAsync(alice, payer), "100.00");
        (await BalanceAsync(bob, payee)).GetProperty("held").GetString().Should().Be("0.00");
        (await StatusAsync(alice, payment)).Should().Be("charged_back");
    }

    [Fact]
    public async Task a_seller_outcome_releases_the_hold()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        using var support = hosts.ClientFor("sam", "support");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        var payment = await PayAsync(alice, payer, payee, "12.00");
        var dispute = (await (await alice.PostWithKeyAsync($"/v1/payments/{payment}/disputes", new { reason = "not_as_described" })).JsonAsync()).GetProperty("id").GetString();

        (await support.PostWithKeyAsync($"/v1/disputes/{dispute}/resolve", new { outcome = "seller" })).StatusCode.Should().Be(HttpStatusCode.OK);

        (await AvailableAsync(bob, payee)).Should().Be("12.00");
        (await AvailableAsync(alice, payer)).Should().Be("88.00");
        (await StatusAsync(alice, payment)).Should().Be("completed");
    }

    [Fact]
    public async Task a_shortfall_is_covered_by_the_reserve_owed_by_the_seller_and_repaid_from_its_next_funds()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        using var support = hosts.ClientFor("sam", "support");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        var payment = await PayAsync(alice, payer, payee, "50.00");
        (await bob.PostWithKeyAsync("/v1/withdrawals", new { accountId = payee, amount = Amount("45.00"), reference = "payout" })).StatusCode.Should().Be(HttpStatusCode.Created);

        var opened = await alice.PostWithKeyAsync($"/v1/payments/{payment}/disputes", new { reason = "not_received" });
        var json = await opened.JsonAsync();
        json.GetProperty("coveredByReserve").GetProperty("amount").GetString().Should().Be("45.00");
        var dispute = json.GetProperty("id").GetString();
        (await BalanceAsync(bob, payee)).GetProperty("held").GetString().Should().Be("50.00");

        (await support.PostWithKeyAsync($"/v1/disputes/{dispute}/resolve", new { outcome = "buyer" })).StatusCode.Should().Be(HttpStatusCode.OK);
        (await AvailableAsync(alice, payer)).Should().Be("100.00");

        // Bob owes the reserve 45.00: closing is refused, and his next 60.00 repays it first.
        (await (await bob.DeleteAsync($"/v1/accounts/{payee}")).ProblemCodeAsync()).Should().Be("account_not_empty");
        await DepositAsync(bob, payee, "60.00");
        (await AvailableAsync(bob, payee)).Should().Be("15.00");
    }

    [Fact]
    public async Task an_unauthorized_claim_against_an_eligible_seller_is_paid_by_the_reserve_and_the_seller_keeps_the_money()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        using var support = hosts.ClientFor("sam", "support");
        var (payer, _, payee) = await ShardedTrioAsync(hosts, alice, bob);
        var payment = await PayAsync(alice, payer, payee, "18.00");
        var dispute = (await (await alice.PostWithKeyAsync($"/v1/payments/{payment}/disputes", new { reason = "unauthorized" })).JsonAsync()).GetProperty("id").GetString();

        var resolved = await (await support.PostWithKeyAsync($"/v1/disputes/{dispute}/resolve", new { outcome = "buyer" })).JsonAsync();

        resolved.GetProperty("sellerProtected").GetBoolean().Should().BeTrue();
        await EventuallyAsync(() => AvailableAsync(alice, payer), "100.00");
        (await AvailableAsync(bob, payee)).Should().Be("18.00");
        (await StatusAsync(alice, payment)).Should().Be("buyer_reimbursed");
        (await (await RefundAsync(bob, payment, null)).ProblemCodeAsync()).Should().Be("payment_not_refundable", "the buyer was already paid once");
        (await (await alice.PostWithKeyAsync($"/v1/payments/{payment}/disputes", new { reason = "unauthorized" })).ProblemCodeAsync()).Should().Be("payment_not_disputable");
    }

    [Fact]
    public async Task personal_payments_are_not_protected_and_an_open_dispute_blocks_closing()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        var personal = await PayAsync(alice, payer, payee, "5.00", purpose: "personal");
        (await (await alice.PostWithKeyAsync($"/v1/payments/{personal}/disputes", new { reason = "not_received" })).ProblemCodeAsync()).Should().Be("not_a_purchase");

        var purchase = await PayAsync(alice, payer, payee, "5.00");
        (await alice.PostWithKeyAsync($"/v1/payments/{purchase}/disputes", new { reason = "not_received" })).StatusCode.Should().Be(HttpStatusCode.Created);
        (await bob.PostWithKeyAsync("/v1/withdrawals", new { accountId = payee, amount = Amount("5.00"), reference = "payout" })).StatusCode.Should().Be(HttpStatusCode.Created);

        var closing = await bob.DeleteAsync($"/v1/accounts/{payee}");
        (await closing.ProblemCodeAsync()).Should().Be("account_not_empty");
        var problem = await closing.Content.ReadAsStringAsync();
        problem.Should().Contain("dispute");
    }
}

public class closed_window_hosts : ApiHosts
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings => [.. RatesSettings(), new("Protection:WindowDays", "0")];
}

public class a_dispute_after_the_window(closed_window_hosts hosts) : IClassFixture<closed_window_hosts>
{
    [Fact]
    public async Task is_refused_with_protection_window_closed()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        var paid = await (await alice.PostWithKeyAsync("/v1/payments", Payment(payer, payee, "5.00", purpose: "purchase"))).JsonAsync();

        var response = await alice.PostWithKeyAsync($"/v1/payments/{paid.GetProperty("id").GetString()}/disputes", new { reason = "not_received" });

        (await response.ProblemCodeAsync()).Should().Be("protection_window_closed");
        (await AvailableAsync(bob, payee)).Should().Be("5.00");
        JsonSerializer.Serialize(await BalanceAsync(bob, payee)).Should().Contain("\"held\":\"0.00\"");
    }
}
