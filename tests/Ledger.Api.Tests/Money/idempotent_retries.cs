using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Money;

public class idempotency_hosts : ApiHosts;

public class idempotent_retries(idempotency_hosts hosts) : IClassFixture<idempotency_hosts>
{
    [Fact]
    public async Task a_retry_with_the_same_key_and_body_gets_the_first_response_byte_for_byte_and_moves_money_once()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, _, payee) = await ShardedTrioAsync(hosts, alice, bob);
        var body = $$"""{"payerAccountId":"{{payer}}","payeeAccountId":"{{payee}}","amount":{"amount":"10.00","currency":"USD"},"purpose":"personal"}""";
        var key = Guid.NewGuid().ToString();

        var first = await alice.PostRawWithKeyAsync("/v1/payments", body, key);
        var retry = await alice.PostRawWithKeyAsync("/v1/payments", body, key);

        first.StatusCode.Should().Be(HttpStatusCode.Created);
        retry.StatusCode.Should().Be(HttpStatusCode.Created);
        (await retry.Content.ReadAsByteArrayAsync()).Should().Equal(await first.Content.ReadAsByteArrayAsync());
        retry.Headers.Location.Should().Be(first.Headers.Location);
        retry.Headers.GetValues("Idempotent-Replayed").Should().Equal("true");
        (await (await alice.GetAsync($"/v1/accounts/{payer}/payments")).JsonAsync()).GetArrayLength().Should().Be(1);
        await WaitForAsync(async () => await AvailableAsync(bob, payee) == "10.00");
        (await AvailableAsync(alice, payer)).Should().Be("90.00");
    }

    [Fact]
    public async Task the_same_key_with_a_different_body_is_422()
    {
        using var alice = hosts.ClientFor("alice");
        var id = await FundedAccountAsync(alice);
        var key = Guid.NewGuid().ToString();
        (await alice.PostWithKeyAsync("/v1/withdrawals", new { accountId = id, amount = Amount("1.00"), reference = "a" }, key)).StatusCode.Should().Be(HttpStatusCode.Created);
        var reused = await alice.PostWithKeyAsync("/v1/withdrawals", new { accountId = id, amount = Amount("2.00"), reference = "a" }, key);
        reused.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await reused.ProblemCodeAsync()).Should().Be("idempotency_key_reused");
        (await AvailableAsync(alice, id)).Should().Be("99.00");
    }

    [Fact]
    public async Task keys_belong_to_their_caller()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var aliceAccount = await FundedAccountAsync(alice);
        var bobAccount = await FundedAccountAsync(bob);
        var key = Guid.NewGuid().ToString();
        (await alice.PostWithKeyAsync("/v1/withdrawals", new { accountId = aliceAccount, amount = Amount("1.00"), reference = "a" }, key)).StatusCode.Should().Be(HttpStatusCode.Created);
        (await bob.PostWithKeyAsync("/v1/withdrawals", new { accountId = bobAccount, amount = Amount("1.00"), reference = "a" }, key)).StatusCode.Should().Be(HttpStatusCode.Created);
        (await AvailableAsync(bob, bobAccount)).Should().Be("99.00");
    }

    [Fact]
    public async Task concurrent_duplicates_never_make_two_payments()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        var body = $$"""{"payerAccountId":"{{payer}}","payeeAccountId":"{{payee}}","amount":{"amount":"1.00","currency":"USD"},"purpose":"personal"}""";
        var key = Guid.NewGuid().ToString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => alice.PostRawWithKeyAsync("/v1/payments", body, key))));
        var created = responses.Where(r => r.StatusCode == HttpStatusCode.Created).ToList();
        responses.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.Created || r.StatusCode == HttpStatusCode.Conflict);
        created.Should().NotBeEmpty();
        var bodies = await Task.WhenAll(created.Select(r => r.Content.ReadAsStringAsync()));
        bodies.Distinct().Should().HaveCount(1, "every success is the same payment");
        (await (await alice.GetAsync($"/v1/accounts/{payer}/payments")).JsonAsync()).GetArrayLength().Should().Be(1);
        (await AvailableAsync(alice, payer)).Should().Be("99.00");
    }

    [Fact]
    public async Task a_refused_request_is_not_remembered_so_a_retry_after_fixing_it_goes_through()
    {
        using var alice = hosts.ClientFor("alice");
        var id = await FundedAccountAsync(alice, "5.00");
        var key = Guid.NewGuid().ToString();
        var body = new { accountId = id, amount = Amount("8.00"), reference = "x" };
        (await alice.PostWithKeyAsync("/v1/withdrawals", body, key)).StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        await DepositAsync(alice, id, "5.00");
        (await alice.PostWithKeyAsync("/v1/withdrawals", body, key)).StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Fact]
    public async Task records_survive_a_restart_of_the_command_api()
    {
        using var alice = hosts.ClientFor("alice");
        var id = await FundedAccountAsync(alice);
        var key = Guid.NewGuid().ToString();
        var body = $$"""{"accountId":"{{id}}","amount":{"amount":"3.00","currency":"USD"},"reference":"rent"}""";
        var first = await alice.PostRawWithKeyAsync("/v1/withdrawals", body, key);

        // A second CommandApi process on the same database: nothing in memory, only what was committed.
        await using var restarted = new HostFactory<Ledger.CommandApi.Accounts.CreateAccountRequest>(hosts.Settings(), "Development", hosts.Logs);
        using var client = restarted.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", hosts.Token("alice"));
        using var retryRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/withdrawals") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        retryRequest.Headers.Add("Idempotency-Key", key);
        var retry = await client.SendAsync(retryRequest);

        retry.StatusCode.Should().Be(HttpStatusCode.Created);
        (await retry.Content.ReadAsStringAsync()).Should().Be(await first.Content.ReadAsStringAsync());
        (await AvailableAsync(alice, id)).Should().Be("97.00");
    }

    [Fact]
    public async Task a_key_already_answered_in_another_shard_is_found_when_claimed_and_nothing_else_in_the_batch_is_lost()
    {
        // The writer of the second account's shard never answered this key, so it claims it optimistically at commit,
        // collides with the stored answer, and decides the batch again knowing it: the reuse is refused (422) and the
        // money stays where it was.
        using var alice = hosts.ClientFor("alice");
        var (first, _, other) = await ShardedTrioAsync(hosts, alice, alice);
        await DepositAsync(alice, other, "100.00");
        var key = Guid.NewGuid().ToString();
        (await alice.PostWithKeyAsync("/v1/withdrawals", new { accountId = first, amount = Amount("1.00"), reference = "a" }, key)).StatusCode.Should().Be(HttpStatusCode.Created);

        var reused = alice.PostWithKeyAsync("/v1/withdrawals", new { accountId = other, amount = Amount("2.00"), reference = "a" }, key);
        var alongside = Enumerable.Range(0, 5).Select(_ => alice.PostWithKeyAsync("/v1/withdrawals", new { accountId = other, amount = Amount("0.10"), reference = "b" })).ToList();
        (await reused).StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await (await reused).ProblemCodeAsync()).Should().Be("idempotency_key_reused");
        foreach (var response in await Task.WhenAll(alongside))
        {
            response.StatusCode.Should().Be(HttpStatusCode.Created, "the other commands of a batch that collided are decided again, not refused");
        }

        (await AvailableAsync(alice, first)).Should().Be("99.00");
        (await AvailableAsync(alice, other)).Should().Be("99.50");
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the condition should hold within 10 s");
            await Task.Delay(20);
        }
    }
}
