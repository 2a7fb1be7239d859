using System.Net.Http.Headers;
using System.Net.Http.Json;
using Ledger.Api.Tests.Money;
using Ledger.CommandApi.Engine;
using Microsoft.Extensions.DependencyInjection;
using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Fraud;

/// <summary>Pipeline mode with no pipeline running: payments wait at their reserve for a verdict, which arrives by
/// the verdict endpoint or, past the deadline, from the rules.</summary>
public class verdict_hosts : ApiHosts
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings =>
    [
        new("Risk:Decider", "pipeline"),
        new("Risk:VerdictDeadline", "00:00:03"),
        new("Risk:MaxPerPayment:USD", "1000.00"),
    ];

    public HttpClient Service(params string[] roles)
    {
        var http = Command.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token("ledger-fraud-pipeline", roles));
        return http;
    }
}

public class deciding_payments_by_verdict(verdict_hosts hosts) : IClassFixture<verdict_hosts>
{
    private static object Verdict(string paymentId, string payer, string decision, double score = 0.1, params string[] reasons) =>
        new { verdicts = new[] { new { paymentId, payerAccountId = payer, decision, riskScore = score, reasons, model = "test-model", modelVersion = "t1" } } };

    private static async Task<string> PendingPaymentAsync(LedgerClient alice, string payer, string payee, string amount = "30.00")
    {
        var response = await alice.PostWithKeyAsync("/v1/payments", Payment(payer, payee, amount));
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var json = await response.JsonAsync();
        json.GetProperty("status").GetString().Should().Be("pending");
        return json.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task a_payment_waits_reserved_for_its_verdict_and_an_approval_completes_it_once()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        var id = await PendingPaymentAsync(alice, payer, payee);
        (await BalanceAsync(alice, payer)).GetProperty("pending").GetString().Should().Be("30.00");
        var deadlines = hosts.Command.Services.GetRequiredService<LedgerEngine>().Deadlines;
        deadlines.IsWaiting(id).Should().BeTrue("a reserved payment waits for its verdict under a deadline");

        using var service = hosts.Service("fraud_service");
        var first = await service.PostAsJsonAsync("/v1/fraud/verdicts", Verdict(id, payer, "approve", 0.12));
        first.StatusCode.Should().Be(HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        var result = (await first.JsonAsync()).GetProperty("results")[0];
        result.GetProperty("applied").GetBoolean().Should().BeTrue();
        result.GetProperty("status").GetString().Should().Be("completed");
        deadlines.IsWaiting(id).Should().BeFalse("a decided payment gets no deadline verdict (it would be a no-op command)");

        // The same verdict again (a redelivery), and a contrary one: neither changes anything.
        foreach (var again in new[] { Verdict(id, payer, "approve", 0.12), Verdict(id, payer, "reject", 0.99) })
        {
            var repeat = (await (await service.PostAsJsonAsync("/v1/fraud/verdicts", again)).JsonAsync()).GetProperty("results")[0];
            repeat.GetProperty("applied").GetBoolean().Should().BeFalse();
        }

        var payment = await (await alice.GetAsync($"/v1/payments/{id}")).JsonAsync();
        payment.GetProperty("status").GetString().Should().Be("completed");
        payment.GetProperty("riskScore").GetString().Should().Be("0.12");
        (await AvailableAsync(alice, payer)).Should().Be("70.00");
        (await BalanceAsync(alice, payer)).GetProperty("pending").GetString().Should().Be("0.00");
        (await AvailableAsync(bob, payee)).Should().Be("30.00");
    }

    [Fact]
    public async Task a_rejection_releases_the_reserve_and_a_review_waits_for_support()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        using var support = hosts.ClientFor("sam", "support");
        var (payer, _, payee) = await ShardedTrioAsync(hosts, alice, bob);
        var rejected = await PendingPaymentAsync(alice, payer, payee, "10.00");
        var reviewed = await PendingPaymentAsync(alice, payer, payee, "20.00");

        using var service = hosts.Service("fraud_service");
        (await service.PostAsJsonAsync("/v1/fraud/verdicts", Verdict(rejected, payer, "reject", 0.97, "5 payments in the last minute"))).EnsureSuccessStatusCode();
        (await service.PostAsJsonAsync("/v1/fraud/verdicts", Verdict(reviewed, payer, "review", 0.6))).EnsureSuccessStatusCode();

        var r = await (await alice.GetAsync($"/v1/payments/{rejected}")).JsonAsync();
        r.GetProperty("status").GetString().Should().Be("rejected");
        (await (await alice.GetAsync($"/v1/payments/{reviewed}")).JsonAsync()).GetProperty("status").GetString().Should().Be("in_review");
        var deadlines = hosts.Command.Services.GetRequiredService<LedgerEngine>().Deadlines;
        deadlines.IsWaiting(rejected).Should().BeFalse("rejected: decided");
        deadlines.IsWaiting(reviewed).Should().BeFalse("in review: support decides it, never the deadline");
        (await AvailableAsync(alice, payer)).Should().Be("80.00");
        (await BalanceAsync(alice, payer)).GetProperty("pending").GetString().Should().Be("20.00");

        // Past the deadline, a payment in review stays in review: only support decides it.
        await Task.Delay(3_500);
        (await (await alice.GetAsync($"/v1/payments/{reviewed}")).JsonAsync()).GetProperty("status").GetString().Should().Be("in_review");

        var approve = await support.PostWithKeyAsync($"/v1/fraud/reviews/{reviewed}", new { decision = "approve", note = "called the customer" });
        approve.StatusCode.Should().Be(HttpStatusCode.OK, await approve.Content.ReadAsStringAsync());
        (await approve.JsonAsync()).GetProperty("status").GetString().Should().Be("processing", "the payee is in another shard: the money is on its way");
        await EventuallyAsync(async () => await AvailableAsync(bob, payee), "20.00");
        (await BalanceAsync(alice, payer)).GetProperty("pending").GetString().Should().Be("0.00");

        var twice = await support.PostWithKeyAsync($"/v1/fraud/reviews/{reviewed}", new { decision = "reject" });
        twice.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await twice.ProblemCodeAsync()).Should().Be("payment_not_in_review");
        (await AvailableAsync(bob, payee)).Should().Be("20.00");
    }

    [Fact]
    public async Task without_a_verdict_the_rules_decide_at_the_deadline_and_say_so()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        var ok = await PendingPaymentAsync(alice, payer, payee, "40.00");
        await DepositAsync(alice, payer, "2000.00");
        var tooBig = await PendingPaymentAsync(alice, payer, payee, "1500.00");

        await EventuallyAsync(async () => (await (await alice.GetAsync($"/v1/payments/{ok}")).JsonAsync()).GetProperty("status").GetString()!, "completed");
        await EventuallyAsync(async () => (await (await alice.GetAsync($"/v1/payments/{tooBig}")).JsonAsync()).GetProperty("status").GetString()!, "rejected");
        (await AvailableAsync(bob, payee)).Should().Be("40.00");
        (await AvailableAsync(alice, payer)).Should().Be("2060.00");

        using var connection = new Npgsql.NpgsqlConnection(hosts.ConnectionString);
        await connection.OpenAsync();
        var rows = await LedgerInvariants.RowsAsync(connection,
            $"select data ->> 'source', data -> 'reasons' ->> 0 from ledger.mt_events where stream_id = '{ok}' and type = 'payment_risk_assessed.v1'");
        rows.Should().ContainSingle();
        rows[0][0].Should().Be("rules-fallback");
        ((string)rows[0][1]).Should().StartWith("no fraud verdict within 3 s");
    }

    [Fact]
    public async Task prefer_wait_returns_once_the_verdict_arrives()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        var started = DateTime.UtcNow;
        var response = await alice.PostRawWithKeyAsync("/v1/payments",
            $$"""{"payerAccountId":"{{payer}}","payeeAccountId":"{{payee}}","amount":{"amount":"5.00","currency":"USD"},"purpose":"personal"}""",
            Guid.NewGuid().ToString(), prefer: "wait=5");
        var json = await response.JsonAsync();
        json.GetProperty("status").GetString().Should().Be("completed", "the rules decide at the 3 s deadline, well inside the 5 s wait");
        (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task only_the_pipeline_sends_verdicts_and_bad_ones_are_400()
    {
        using var alice = hosts.ClientFor("alice");
        var payer = await FundedAccountAsync(alice);
        using var customer = hosts.Service("customer");
        (await customer.PostAsJsonAsync("/v1/fraud/verdicts", Verdict("pay_x", payer, "approve"))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        using var support = hosts.Service("support");
        (await support.PostAsJsonAsync("/v1/fraud/verdicts", Verdict("pay_x", payer, "approve"))).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        using var service = hosts.Service("fraud_service");
        foreach (var bad in new[] { Verdict("nope", payer, "approve"), Verdict("pay_0192", payer, "maybe"), Verdict("pay_0192", payer, "approve", 1.5), new { verdicts = Array.Empty<object>() } })
        {
            var response = await service.PostAsJsonAsync("/v1/fraud/verdicts", bad);
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
            (await response.ProblemCodeAsync()).Should().Be("validation_failed");
        }

        // An unknown payment, or a payer that is not the payment's: not found, nothing applied.
        var unknown = (await (await service.PostAsJsonAsync("/v1/fraud/verdicts", Verdict("pay_01932b8e4c7a7cc0b8f1c2d3e4f5a6b7", payer, "approve"))).JsonAsync()).GetProperty("results")[0];
        unknown.GetProperty("applied").GetBoolean().Should().BeFalse();
        unknown.GetProperty("error").GetString().Should().Be("not_found");
    }

    [Fact]
    public async Task a_pending_payment_one_engine_holds_in_memory_yields_to_the_verdict_another_engine_committed()
    {
        // The engine keeps the payments it reserved in memory until their verdict. A second engine on the same database
        // (a failover gone wrong) rejects one; the first, still holding it as pending, is then told to approve it. Its
        // batch must be fenced, and the retry must read the payment from the store — not from memory — and change
        // nothing: an approval there would pay the payee money the rejection already gave back.
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        // The second engine is started before the payment exists: its start-up must not eat into the payment's 3 s
        // verdict deadline (on a loaded machine it did, the deadline's rules decided first, and the reject was a no-op).
        await using var second = new HostFactory<Ledger.CommandApi.Accounts.CreateAccountRequest>(hosts.Settings(), "Development", hosts.Logs);
        using var other = second.CreateClient();
        other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", hosts.Token("ledger-fraud-pipeline", "fraud_service"));
        var id = await PendingPaymentAsync(alice, payer, payee, "25.00");

        var rejected = (await (await other.PostAsJsonAsync("/v1/fraud/verdicts", Verdict(id, payer, "reject", 0.95))).JsonAsync()).GetProperty("results")[0];
        rejected.GetProperty("applied").GetBoolean().Should().BeTrue();
        rejected.GetProperty("status").GetString().Should().Be("rejected");

        using var service = hosts.Service("fraud_service");
        var approved = (await (await service.PostAsJsonAsync("/v1/fraud/verdicts", Verdict(id, payer, "approve", 0.05))).JsonAsync()).GetProperty("results")[0];
        approved.GetProperty("applied").GetBoolean().Should().BeFalse("the payment was decided by the other engine");
        hosts.Logs.Lines.Should().Contain(l => l.Contains("was written by another writer", StringComparison.Ordinal),
            "the first engine's batch met the shard fence");

        (await (await alice.GetAsync($"/v1/payments/{id}")).JsonAsync()).GetProperty("status").GetString().Should().Be("rejected");
        (await AvailableAsync(alice, payer)).Should().Be("100.00");
        (await BalanceAsync(alice, payer)).GetProperty("pending").GetString().Should().Be("0.00");
        decimal.Parse(await AvailableAsync(bob, payee), System.Globalization.CultureInfo.InvariantCulture).Should().Be(0m, "the payee was never paid");
    }

    [Fact]
    public async Task only_support_reviews_and_only_payments_in_review()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        using var support = hosts.ClientFor("sam", "support");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        var id = await PendingPaymentAsync(alice, payer, payee, "15.00");

        var byCustomer = await alice.PostWithKeyAsync($"/v1/fraud/reviews/{id}", new { decision = "approve" });
        byCustomer.StatusCode.Should().Be(HttpStatusCode.NotFound);
        var notInReview = await support.PostWithKeyAsync($"/v1/fraud/reviews/{id}", new { decision = "approve" });
        notInReview.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await notInReview.ProblemCodeAsync()).Should().Be("payment_not_in_review");
        var badDecision = await support.PostWithKeyAsync($"/v1/fraud/reviews/{id}", new { decision = "maybe" });
        badDecision.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await support.PostJsonAsync($"/v1/fraud/reviews/{id}", new { decision = "approve" })).StatusCode.Should().Be(HttpStatusCode.BadRequest, "an Idempotency-Key is required");
    }
}

public class tight_limit_hosts : verdict_hosts
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings =>
        [.. base.MoreSettings, new("RateLimiting:PermitsPerSecond", "1"), new("RateLimiting:Burst", "2")];
}

/// <summary>People are rate limited; the fraud pipeline is not (its calls follow the payments people make).</summary>
public class rate_limits_and_the_fraud_service(tight_limit_hosts hosts) : IClassFixture<tight_limit_hosts>
{
    [Fact]
    public async Task the_service_is_not_limited_like_a_person()
    {
        using var person = hosts.Service("support");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await person.PostAsJsonAsync("/v1/fraud/verdicts", new { verdicts = Array.Empty<object>() })).StatusCode);
        }

        statuses.Should().Contain(HttpStatusCode.TooManyRequests);

        using var service = hosts.Service("fraud_service");
        for (var i = 0; i < 10; i++)
        {
            (await service.PostAsJsonAsync("/v1/fraud/verdicts", new { verdicts = Array.Empty<object>() })).StatusCode.Should().Be(HttpStatusCode.BadRequest, "validated, never throttled");
        }
    }
}
