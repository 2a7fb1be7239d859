using System.Diagnostics;
using Ledger.CommandApi.Engine;
using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Money;

/// <summary>The engine's default admission control (Engine:MaxQueueDelay, 1 s): nothing configured here.</summary>
public class shedding_hosts : ApiHosts;

public class shedding_load(shedding_hosts hosts) : IClassFixture<shedding_hosts>
{
    private static readonly TimeSpan Limit = new EngineOptions().MaxQueueDelay;

    [Fact]
    public async Task a_shard_stuck_past_the_limit_refuses_new_money_with_503_try_again_writes_nothing_and_takes_the_retry_once_it_catches_up()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var payer = await FundedAccountAsync(alice);
        var payee = await FundedAccountAsync(bob);
        var first = $$"""{"payerAccountId":"{{payer}}","payeeAccountId":"{{payee}}","amount":{"amount":"10.00","currency":"USD"},"purpose":"personal"}""";
        var second = $$"""{"payerAccountId":"{{payer}}","payeeAccountId":"{{payee}}","amount":{"amount":"5.00","currency":"USD"},"purpose":"personal"}""";
        var firstKey = Guid.NewGuid().ToString();
        var secondKey = Guid.NewGuid().ToString();

        // Hold the payer's shard: work on one of its accounts that does not finish until released.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = Stopwatch.StartNew();
        var hold = hosts.Engine.RunExclusiveAsync(payer, async (_, _) =>
        {
            held.Restart();
            holding.SetResult();
            await release.Task;
            return (object?)null;
        });
        await holding.Task;
        Task<HttpResponseMessage> queued;
        try
        {
            // Queued while the shard is still within the limit: accepted, and decided once the shard moves again.
            queued = alice.PostRawWithKeyAsync("/v1/payments", first, firstKey);
            await EventuallyAsync(() => Task.FromResult(hosts.Engine.QueuedFor(payer) == 1), () => "the first payment is waiting in the shard's queue");
            held.Elapsed.Should().BeLessThan(Limit, "the first payment must reach the queue before the shard is behind");

            var wait = Limit + TimeSpan.FromMilliseconds(300) - held.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            // Answered at once (a regression that queued it would otherwise wait for the held shard).
            var refused = await alice.PostRawWithKeyAsync("/v1/payments", second, secondKey).WaitAsync(TimeSpan.FromSeconds(10));
            refused.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            refused.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            (await refused.ProblemCodeAsync()).Should().Be("try_again");
            refused.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(1));
            var deposit = await alice.PostWithKeyAsync("/v1/deposits", new { accountId = payer, amount = Amount("1.00"), reference = "late" }).WaitAsync(TimeSpan.FromSeconds(10));
            deposit.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, "every new movement of money into the shard waits its turn the same way");
            queued.IsCompleted.Should().BeFalse("the shard is still held");
        }
        finally
        {
            release.TrySetResult(); // a failed check must not leave the shard held for the rest of the class
        }

        await hold;
        var accepted = await queued;
        accepted.StatusCode.Should().Be(HttpStatusCode.Created, "work queued before the shard fell behind is still decided");

        // Nothing of the refused requests was written: one payment, and only its money moved.
        (await (await alice.GetAsync($"/v1/accounts/{payer}/payments")).JsonAsync()).GetArrayLength().Should().Be(1);
        (await AvailableAsync(alice, payer)).Should().Be("90.00");

        // The refused key was not spent: the caller's retry with it goes through, once.
        var retried = await alice.PostRawWithKeyAsync("/v1/payments", second, secondKey);
        retried.StatusCode.Should().Be(HttpStatusCode.Created);
        retried.Headers.Contains("Idempotent-Replayed").Should().BeFalse("the refusal was not an answer to replay");
        (await alice.PostRawWithKeyAsync("/v1/payments", second, secondKey)).Headers.GetValues("Idempotent-Replayed").Should().Equal("true");
        (await (await alice.GetAsync($"/v1/accounts/{payer}/payments")).JsonAsync()).GetArrayLength().Should().Be(2);
        (await AvailableAsync(alice, payer)).Should().Be("85.00");
        await EventuallyAsync(() => AvailableAsync(bob, payee), "115.00");
    }

    [Fact]
    public async Task a_shard_that_keeps_up_refuses_nothing_however_many_arrive_at_once()
    {
        using var alice = hosts.ClientFor("alice");
        var account = await FundedAccountAsync(alice);
        var answers = await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() =>
            alice.PostWithKeyAsync("/v1/withdrawals", new { accountId = account, amount = Amount("0.01"), reference = "burst" }))));
        answers.Select(a => a.StatusCode).Should().OnlyContain(s => s == HttpStatusCode.Created);
        (await AvailableAsync(alice, account)).Should().Be("99.36");
    }

    [Fact]
    public void only_new_money_movement_may_be_refused_never_the_rest_of_a_payment_already_under_way()
    {
        var sheddable = typeof(EngineCommand).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(EngineCommand)) && !t.IsAbstract)
            .Where(t => t.GetProperty(nameof(EngineCommand.MayShed))!.GetMethod!.DeclaringType == t)
            .Select(t => t.Name)
            .ToList();
        sheddable.Should().BeEquivalentTo(
            [nameof(PayCommand), nameof(DepositCommand), nameof(WithdrawCommand), nameof(ConvertCommand), nameof(RefundCommand), nameof(OpenDisputeCommand)],
            "credits, returns, reversals, verdicts, deadlines, reviews, dispute resolutions and hold releases finish money already reserved");
    }
}
