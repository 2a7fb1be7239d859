using System.Text.Json;
using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Money;

public class fx_hosts : ApiHosts
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings => RatesSettings();
}

/// <summary>Quotes live no time at all here: every quote is already expired when used.</summary>
public class expired_quote_hosts : ApiHosts
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings => [.. RatesSettings(), new("Fx:QuoteLifetime", "00:00:00")];
}

/// <summary>SPEC "Multi-currency" over HTTP: rates, quotes, conversions and payments received in another currency,
/// on the JPY (0 decimals), USD (2) and KWD (3) paths. Rates (test file): 1 EUR = 1.08 USD = 162 JPY = 0.33 KWD.</summary>
public class converting_and_paying_across_currencies(fx_hosts hosts) : IClassFixture<fx_hosts>
{
    private static async Task<JsonElement> QuoteAsync(LedgerClient client, object body)
    {
        var response = await client.PostJsonAsync("/v1/fx/quotes", body);
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.JsonAsync();
    }

    private static string Amount(JsonElement money) => money.GetProperty("amount").GetString()!;

    [Fact]
    public async Task rates_are_crossed_through_the_base_and_carry_their_source_and_time()
    {
        using var alice = hosts.ClientFor("alice");
        var json = await (await alice.GetAsync("/v1/fx/rates?base=USD")).JsonAsync();

        json.GetProperty("base").GetString().Should().Be("USD");
        json.GetProperty("source").GetString().Should().Contain("ecb");
        json.GetProperty("asOf").GetDateTimeOffset().Should().BeBefore(DateTimeOffset.UtcNow);
        var rates = json.GetProperty("rates").EnumerateArray().ToDictionary(r => r.GetProperty("currency").GetString()!, r => r.GetProperty("rate").GetString());
        rates["JPY"].Should().Be("150");
        rates["EUR"].Should().Be("0.9259259259");
        rates.Should().NotContainKey("USD");

        (await alice.GetAsync("/v1/fx/rates?base=DEM")).StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await alice.GetAsync("/v1/fx/rates?base=usd")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task a_quote_for_a_sell_amount_shows_rate_fee_and_expiry()
    {
        using var alice = hosts.ClientFor("alice");
        var quote = await QuoteAsync(alice, new { sellCurrency = "USD", buyCurrency = "JPY", sellAmount = "100.00" });

        quote.GetProperty("id").GetString().Should().StartWith("quo_");
        quote.GetProperty("rate").GetString().Should().Be("149.25");
        Amount(quote.GetProperty("sellAmount")).Should().Be("100.00");
        Amount(quote.GetProperty("buyAmount")).Should().Be("14925");
        Amount(quote.GetProperty("fee")).Should().Be("0.50");
        (quote.GetProperty("expiresAt").GetDateTimeOffset() - quote.GetProperty("createdAt").GetDateTimeOffset()).Should().Be(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task bad_quote_requests_are_4xx_with_stable_codes()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (bobs, _) = await AccountFixtures.CreateAsync(bob);

        async Task<(HttpStatusCode, string)> Ask(object body)
        {
            var response = await alice.PostJsonAsync("/v1/fx/quotes", body);
            return (response.StatusCode, await response.ProblemCodeAsync());
        }

        (await Ask(new { sellCurrency = "USD", buyCurrency = "JPY", sellAmount = "1.00", buyAmount = "100" })).Should().Be((HttpStatusCode.BadRequest, "validation_failed"));
        (await Ask(new { sellCurrency = "USD", buyCurrency = "JPY", buyAmount = "100.5" })).Should().Be((HttpStatusCode.BadRequest, "validation_failed"), "JPY has no minor units");
        (await Ask(new { sellCurrency = "KWD", buyCurrency = "USD", sellAmount = "1.0001" })).Should().Be((HttpStatusCode.BadRequest, "validation_failed"), "KWD has three");
        (await Ask(new { sellCurrency = "USD", buyCurrency = "USD", sellAmount = "1.00" })).Should().Be((HttpStatusCode.BadRequest, "validation_failed"));
        (await Ask(new { sellCurrency = "USD", buyCurrency = "DEM", sellAmount = "1.00" })).Should().Be((HttpStatusCode.UnprocessableEntity, "currency_not_supported"));
        (await Ask(new { sellCurrency = "USD", buyCurrency = "XAF", sellAmount = "1.00" })).Should().Be((HttpStatusCode.UnprocessableEntity, "currency_not_supported"));
        (await Ask(new { sellCurrency = "JPY", buyCurrency = "USD", sellAmount = "1" })).Should().Be((HttpStatusCode.BadRequest, "validation_failed"), "a yen buys less than a cent");
        (await Ask(new { sellCurrency = "USD", buyCurrency = "JPY", sellAmount = "1.00", accountId = bobs })).Should().Be((HttpStatusCode.NotFound, "not_found"));
    }

    [Fact]
    public async Task a_conversion_moves_both_currencies_once_and_the_quote_is_then_used()
    {
        using var alice = hosts.ClientFor("alice");
        var account = await FundedAccountAsync(alice, "200.00");
        var quote = await QuoteAsync(alice, new { sellCurrency = "USD", buyCurrency = "JPY", sellAmount = "100.00", accountId = account });
        var body = new { accountId = account, quoteId = quote.GetProperty("id").GetString() };

        var key = Guid.NewGuid().ToString();
        var first = await alice.PostWithKeyAsync("/v1/conversions", body, key);
        first.StatusCode.Should().Be(HttpStatusCode.Created, await first.Content.ReadAsStringAsync());
        var json = await first.JsonAsync();
        json.GetProperty("id").GetString().Should().StartWith("cnv_");
        Amount(json.GetProperty("buyAmount")).Should().Be("14925");
        Amount(json.GetProperty("fee")).Should().Be("0.50");

        var retry = await alice.PostWithKeyAsync("/v1/conversions", body, key);
        (await retry.Content.ReadAsStringAsync()).Should().Be(await first.Content.ReadAsStringAsync());
        (await (await alice.PostWithKeyAsync("/v1/conversions", body)).ProblemCodeAsync()).Should().Be("quote_used");

        (await AvailableAsync(alice, account, "USD")).Should().Be("100.00");
        (await AvailableAsync(alice, account, "JPY")).Should().Be("14925");
        var history = await (await alice.GetAsync($"/v1/accounts/{account}/transactions")).JsonAsync();
        history.GetProperty("items").EnumerateArray().Count(e => e.GetProperty("kind").GetString() == "conversion").Should().Be(2, "one line per currency");
    }

    [Fact]
    public async Task kwd_converts_to_usd_on_three_decimals_and_a_short_balance_is_refused()
    {
        using var alice = hosts.ClientFor("alice");
        var account = await FundedAccountAsync(alice, "1.500", "KWD");
        var quote = await QuoteAsync(alice, new { sellCurrency = "KWD", buyCurrency = "USD", sellAmount = "1.000" });
        // 1.000 KWD, fee 0.005; 0.995 KWD at 3.2727272727 = 3.2563... USD, rounded down to 3.25.
        Amount(quote.GetProperty("buyAmount")).Should().Be("3.25");
        Amount(quote.GetProperty("fee")).Should().Be("0.005");

        var converted = await alice.PostWithKeyAsync("/v1/conversions", new { accountId = account, quoteId = quote.GetProperty("id").GetString() });
        converted.StatusCode.Should().Be(HttpStatusCode.Created);
        (await AvailableAsync(alice, account, "KWD")).Should().Be("0.500");
        (await AvailableAsync(alice, account, "USD")).Should().Be("3.25");

        var tooMuch = await QuoteAsync(alice, new { sellCurrency = "KWD", buyCurrency = "USD", sellAmount = "0.501" });
        (await (await alice.PostWithKeyAsync("/v1/conversions", new { accountId = account, quoteId = tooMuch.GetProperty("id").GetString() })).ProblemCodeAsync())
            .Should().Be("insufficient_funds");
        (await AvailableAsync(alice, account, "KWD")).Should().Be("0.500");
    }

    [Fact]
    public async Task someone_elses_quote_or_a_quote_bound_to_another_account_is_404()
    {
        using var alice = hosts.ClientFor("alice");
        using var mallory = hosts.ClientFor("mallory");
        var account = await FundedAccountAsync(alice);
        var other = await FundedAccountAsync(alice);
        var malloryAccount = await FundedAccountAsync(mallory);
        var bound = await QuoteAsync(alice, new { sellCurrency = "USD", buyCurrency = "JPY", sellAmount = "1.00", accountId = account });

        var onOther = await alice.PostWithKeyAsync("/v1/conversions", new { accountId = other, quoteId = bound.GetProperty("id").GetString() });
        onOther.StatusCode.Should().Be(HttpStatusCode.NotFound);
        var stolen = await mallory.PostWithKeyAsync("/v1/conversions", new { accountId = malloryAccount, quoteId = bound.GetProperty("id").GetString() });
        stolen.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await AvailableAsync(alice, account)).Should().Be("100.00");
    }

    [Fact]
    public async Task a_payment_received_in_yen_is_priced_now_and_credits_yen_in_and_across_shards()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, sameShard, otherShard) = await ShardedTrioAsync(hosts, alice, bob);

        foreach (var payee in new[] { sameShard, otherShard })
        {
            var response = await alice.PostRawWithKeyAsync("/v1/payments",
                $$"""{"payerAccountId":"{{payer}}","payeeAccountId":"{{payee}}","amount":{"amount":"10.00","currency":"USD"},"payeeCurrency":"JPY","purpose":"purchase"}""",
                Guid.NewGuid().ToString(), prefer: "wait=5");
            response.StatusCode.Should().Be(HttpStatusCode.Created);
            var json = await response.JsonAsync();
            json.GetProperty("status").GetString().Should().Be("completed");
            // 10.00 USD, fee 0.05, 9.95 at 150 = 1,492.5 -> 1,492 JPY.
            json.GetProperty("settledAmount").GetProperty("amount").GetString().Should().Be("1492");
            json.GetProperty("settledAmount").GetProperty("currency").GetString().Should().Be("JPY");
            json.GetProperty("fxRate").GetString().Should().Be("149.25");
            (await AvailableAsync(bob, payee, "JPY")).Should().Be("1492");
        }

        (await AvailableAsync(alice, payer)).Should().Be("80.00");
    }

    [Fact]
    public async Task a_payment_at_a_quote_uses_its_price_once()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, _, payee) = await ShardedTrioAsync(hosts, alice, bob);
        var quote = await QuoteAsync(alice, new { sellCurrency = "USD", buyCurrency = "KWD", buyAmount = "5.000" });
        var sell = Amount(quote.GetProperty("sellAmount"));
        var body = new { payerAccountId = payer, payeeAccountId = payee, amount = MoneyFixtures.Amount(sell), quoteId = quote.GetProperty("id").GetString(), purpose = "personal" };

        var paid = await alice.PostRawWithKeyAsync("/v1/payments", JsonSerializer.Serialize(body), Guid.NewGuid().ToString(), prefer: "wait=5");
        paid.StatusCode.Should().Be(HttpStatusCode.Created, await paid.Content.ReadAsStringAsync());
        (await paid.JsonAsync()).GetProperty("settledAmount").GetProperty("amount").GetString().Should().Be("5.000");
        (await AvailableAsync(bob, payee, "KWD")).Should().Be("5.000");

        (await (await alice.PostWithKeyAsync("/v1/payments", body)).ProblemCodeAsync()).Should().Be("quote_used");
        var fresh = await QuoteAsync(alice, new { sellCurrency = "USD", buyCurrency = "KWD", buyAmount = "5.000" });
        var wrongAmount = body with { amount = MoneyFixtures.Amount("1.00"), quoteId = fresh.GetProperty("id").GetString() };
        (await (await alice.PostWithKeyAsync("/v1/payments", wrongAmount)).ProblemCodeAsync()).Should().Be("validation_failed");
    }
}

public class an_expired_quote(expired_quote_hosts hosts) : IClassFixture<expired_quote_hosts>
{
    [Fact]
    public async Task is_refused_with_quote_expired_and_moves_nothing()
    {
        using var alice = hosts.ClientFor("alice");
        var account = await FundedAccountAsync(alice);
        var quote = await (await alice.PostJsonAsync("/v1/fx/quotes", new { sellCurrency = "USD", buyCurrency = "JPY", sellAmount = "10.00" })).JsonAsync();

        var response = await alice.PostWithKeyAsync("/v1/conversions", new { accountId = account, quoteId = quote.GetProperty("id").GetString() });

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await response.ProblemCodeAsync()).Should().Be("quote_expired");
        (await AvailableAsync(alice, account)).Should().Be("100.00");
    }
}

/// <summary>The rates file is a day old and the ledger prices only with rates under a minute old.</summary>
public class stale_rates_hosts : ApiHosts
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings => RatesSettings(maxRateAge: "00:01:00");
}

public class stale_rates(stale_rates_hosts hosts) : IClassFixture<stale_rates_hosts>
{
    [Fact]
    public async Task price_nothing_new_and_answer_503_rates_unavailable_while_same_currency_payments_go_on()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);

        var quote = await alice.PostJsonAsync("/v1/fx/quotes", new { sellCurrency = "USD", buyCurrency = "JPY", sellAmount = "10.00" });
        quote.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await quote.ProblemCodeAsync()).Should().Be("rates_unavailable");

        var converted = await alice.PostWithKeyAsync("/v1/payments",
            new { payerAccountId = payer, payeeAccountId = payee, amount = MoneyFixtures.Amount("10.00"), payeeCurrency = "JPY", purpose = "personal" });
        converted.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await AvailableAsync(alice, payer)).Should().Be("100.00");

        (await alice.PostWithKeyAsync("/v1/payments", Payment(payer, payee, "10.00"))).StatusCode.Should().Be(HttpStatusCode.Created);
        (await alice.GetAsync("/v1/fx/rates")).StatusCode.Should().Be(HttpStatusCode.OK, "reading old rates is fine; pricing with them is not");
    }
}
