using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Money;

public class deposits_hosts : ApiHosts;

public class deposits_and_withdrawals(deposits_hosts hosts) : IClassFixture<deposits_hosts>
{
    [Fact]
    public async Task a_deposit_is_201_with_the_transaction_and_shows_in_balances_and_history()
    {
        using var alice = hosts.ClientFor("alice");
        var (id, _) = await AccountFixtures.CreateAsync(alice);
        var response = await alice.PostWithKeyAsync("/v1/deposits", new { accountId = id, amount = Amount("12.34"), reference = "salary" });

        response.StatusCode.Should().Be(HttpStatusCode.Created);
        var json = await response.JsonAsync();
        json.GetProperty("id").GetString().Should().StartWith("dep_");
        json.GetProperty("kind").GetString().Should().Be("deposit");
        json.GetProperty("amount").GetProperty("amount").GetString().Should().Be("12.34");
        json.GetProperty("balanceAfter").GetProperty("amount").GetString().Should().Be("12.34");
        response.Headers.Location!.OriginalString.Should().StartWith("/v1/deposits/dep_");

        (await AvailableAsync(alice, id)).Should().Be("12.34");
        var view = await (await alice.GetAsync($"/v1/accounts/{id}")).JsonAsync();
        view.GetProperty("balances")[0].GetProperty("available").GetString().Should().Be("12.34");
        var history = await (await alice.GetAsync($"/v1/accounts/{id}/transactions")).JsonAsync();
        var entry = history.GetProperty("items")[0];
        entry.GetProperty("kind").GetString().Should().Be("deposit");
        entry.GetProperty("direction").GetString().Should().Be("credit");
        entry.GetProperty("balanceAfter").GetProperty("amount").GetString().Should().Be("12.34");
    }

    [Fact]
    public async Task a_withdrawal_beyond_available_is_422_and_writes_nothing()
    {
        using var alice = hosts.ClientFor("alice");
        var id = await FundedAccountAsync(alice, "10.00");
        var response = await alice.PostWithKeyAsync("/v1/withdrawals", new { accountId = id, amount = Amount("10.01"), reference = "atm" });
        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await response.ProblemCodeAsync()).Should().Be("insufficient_funds");
        (await AvailableAsync(alice, id)).Should().Be("10.00");

        var ok = await alice.PostWithKeyAsync("/v1/withdrawals", new { accountId = id, amount = Amount("10.00"), reference = "atm" });
        ok.StatusCode.Should().Be(HttpStatusCode.Created);
        (await AvailableAsync(alice, id)).Should().Be("0.00");
        var history = await (await alice.GetAsync($"/v1/accounts/{id}/transactions")).JsonAsync();
        history.GetProperty("items").GetArrayLength().Should().Be(2, "the refused withdrawal left no entry");
    }

    [Theory]
    [InlineData("1.234", "USD", "amount.amount")]
    [InlineData("1.5", "JPY", "amount.amount")]
    [InlineData("0", "USD", "amount.amount")]
    [InlineData("0.00", "USD", "amount.amount")]
    [InlineData("-5.00", "USD", "amount.amount")]
    [InlineData("1e3", "USD", "amount.amount")]
    [InlineData("12.34", "XYZ", "amount.currency")]
    [InlineData("12.34", "usd", "amount.currency")]
    public async Task bad_amounts_are_400_naming_the_field(string amount, string currency, string field)
    {
        using var alice = hosts.ClientFor("alice");
        var (id, _) = await AccountFixtures.CreateAsync(alice);
        var response = await alice.PostWithKeyAsync("/v1/deposits", new { accountId = id, amount = Amount(amount, currency), reference = "x" });
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var json = await response.JsonAsync();
        json.GetProperty("code").GetString().Should().Be("validation_failed");
        json.GetProperty("errors").TryGetProperty(field, out _).Should().BeTrue(json.ToString());
        (await BalanceAsync(alice, id)).GetProperty("available").GetString().Should().Be("0");
    }

    [Theory]
    [InlineData("1234", "JPY", "1234")]
    [InlineData("1.234", "KWD", "1.234")]
    [InlineData("1.5", "KWD", "1.500")]
    [InlineData("7", "USD", "7.00")]
    public async Task currencies_keep_their_own_minor_units(string amount, string currency, string shown)
    {
        using var alice = hosts.ClientFor("alice");
        var (id, _) = await AccountFixtures.CreateAsync(alice);
        await DepositAsync(alice, id, amount, currency);
        (await AvailableAsync(alice, id, currency)).Should().Be(shown);
    }

    [Fact]
    public async Task without_an_idempotency_key_it_is_400()
    {
        using var alice = hosts.ClientFor("alice");
        var (id, _) = await AccountFixtures.CreateAsync(alice);
        var response = await alice.PostJsonAsync("/v1/deposits", new { accountId = id, amount = Amount("1.00"), reference = "x" });
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.JsonAsync()).GetProperty("errors").TryGetProperty("Idempotency-Key", out _).Should().BeTrue();
    }

    [Fact]
    public async Task someone_elses_account_is_404_and_a_suspended_one_422()
    {
        using var alice = hosts.ClientFor("alice");
        using var mallory = hosts.ClientFor("mallory");
        using var support = hosts.ClientFor("sam", "support");
        var (id, _) = await AccountFixtures.CreateAsync(alice);
        var theft = await mallory.PostWithKeyAsync("/v1/withdrawals", new { accountId = id, amount = Amount("1.00"), reference = "x" });
        theft.StatusCode.Should().Be(HttpStatusCode.NotFound);

        (await support.PatchJsonAsync($"/v1/accounts/{id}", new { status = "suspended" })).StatusCode.Should().Be(HttpStatusCode.OK);
        var deposit = await alice.PostWithKeyAsync("/v1/deposits", new { accountId = id, amount = Amount("1.00"), reference = "x" });
        deposit.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await deposit.ProblemCodeAsync()).Should().Be("account_not_active");
    }

    [Fact]
    public async Task an_account_with_money_cannot_be_closed_until_it_is_empty()
    {
        using var alice = hosts.ClientFor("alice");
        var id = await FundedAccountAsync(alice, "5.00");
        var delete = await alice.DeleteAsync($"/v1/accounts/{id}");
        delete.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await delete.ProblemCodeAsync()).Should().Be("account_not_empty");
        (await alice.PatchJsonAsync($"/v1/accounts/{id}", new { status = "closed" })).StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);

        (await alice.PostWithKeyAsync("/v1/withdrawals", new { accountId = id, amount = Amount("5.00"), reference = "out" })).StatusCode.Should().Be(HttpStatusCode.Created);
        (await alice.DeleteAsync($"/v1/accounts/{id}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        var after = await alice.PostWithKeyAsync("/v1/deposits", new { accountId = id, amount = Amount("1.00"), reference = "x" });
        after.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity, "a closed account takes no money");
    }

    [Fact]
    public async Task history_pages_with_a_cursor_in_time_order()
    {
        using var alice = hosts.ClientFor("alice");
        var (id, _) = await AccountFixtures.CreateAsync(alice);
        for (var i = 1; i <= 5; i++)
        {
            await DepositAsync(alice, id, $"{i}.00");
        }

        var first = await (await alice.GetAsync($"/v1/accounts/{id}/transactions?limit=2")).JsonAsync();
        first.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("balanceAfter").GetProperty("amount").GetString()).Should().Equal("1.00", "3.00");
        var cursor = first.GetProperty("nextCursor").GetString();
        var second = await (await alice.GetAsync($"/v1/accounts/{id}/transactions?limit=2&cursor={cursor}")).JsonAsync();
        second.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("amount").GetProperty("amount").GetString()).Should().Equal("3.00", "4.00");
        var last = await (await alice.GetAsync($"/v1/accounts/{id}/transactions?limit=2&cursor={second.GetProperty("nextCursor").GetString()}")).JsonAsync();
        last.GetProperty("items").GetArrayLength().Should().Be(1);
        last.TryGetProperty("nextCursor", out _).Should().BeFalse();

        (await alice.GetAsync($"/v1/accounts/{id}/transactions?limit=0")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await alice.GetAsync($"/v1/accounts/{id}/transactions?from=yesterday")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var future = await (await alice.GetAsync($"/v1/accounts/{id}/transactions?from=2999-01-01T00:00:00Z")).JsonAsync();
        future.GetProperty("items").GetArrayLength().Should().Be(0);
    }
}
