using System.Text.Json;
using Ledger.FraudPipeline.Features;
using Ledger.FraudPipeline.Scoring;
using Microsoft.Extensions.DependencyInjection;
using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Fraud;

public class pipeline_hosts : FraudHosts
{
    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton(new ScoringParts(new BurstScorer(), null, _ => ["burst"]));

    /// <summary>TEMPORARY until the model lands: high risk from the fifth payment in a minute.</summary>
    private sealed class BurstScorer : IFraudScorer
    {
        public ValueTask<FraudScore> ScoreAsync(FraudFeatures features, CancellationToken ct) =>
            ValueTask.FromResult(new FraudScore(features.PayerCount1m >= 4 ? 0.95 : 0.05, [], "burst", "1"));
    }
}

public class scoring_payments_through_kafka(pipeline_hosts hosts) : IClassFixture<pipeline_hosts>
{
    private static async Task<JsonElement> FinalAsync(LedgerClient client, string paymentId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var payment = await (await client.GetAsync($"/v1/payments/{paymentId}")).JsonAsync();
            if (payment.GetProperty("status").GetString() is not ("pending" or "processing"))
            {
                return payment;
            }

            DateTime.UtcNow.Should().BeBefore(deadline, $"payment {paymentId} is still {payment.GetProperty("status")}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task a_payment_flows_through_the_bridge_is_scored_and_completes()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        using var support = hosts.ClientFor("sam", "support");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);

        var response = await alice.PostRawWithKeyAsync("/v1/payments",
            $$"""{"payerAccountId":"{{payer}}","payeeAccountId":"{{payee}}","amount":{"amount":"12.00","currency":"USD"},"purpose":"personal"}""",
            Guid.NewGuid().ToString(), prefer: "wait=10");
        var payment = await response.JsonAsync();
        payment.GetProperty("status").GetString().Should().Be("completed");
        var id = payment.GetProperty("id").GetString()!;

        var analyses = await (await support.GetAsync($"/v1/fraud/analyses?paymentId={id}")).JsonAsync();
        analyses.GetArrayLength().Should().Be(1);
        var analysis = analyses[0];
        analysis.GetProperty("decision").GetString().Should().Be("approve");
        analysis.GetProperty("model").GetString().Should().Be("burst");
        analysis.GetProperty("features").GetProperty("FirstPaymentToPayee").GetDouble().Should().Be(1);
        (await AvailableAsync(bob, payee)).Should().Be("12.00");
    }
}
