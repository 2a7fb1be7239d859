using System.Text.Json;
using Ledger.FraudPipeline.Scoring;
using Ledger.Projections.Fraud;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Fraud;

public class pipeline_hosts : FraudHosts
{
}

public class scoring_payments_through_kafka(pipeline_hosts hosts) : IClassFixture<pipeline_hosts>
{
    private static async Task<JsonElement> FinalAsync(LedgerClient client, string paymentId) =>
        (await FraudHosts.DecidedAsync(client, [paymentId]))[0];

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
        analysis.GetProperty("model").GetString().Should().Be("ledger-fraud-fasttree");
        analysis.GetProperty("modelVersion").GetString().Should().NotBeNullOrEmpty();
        analysis.GetProperty("features").GetProperty("FirstPaymentToPayee").GetDouble().Should().Be(1);
        (await AvailableAsync(bob, payee)).Should().Be("12.00");
    }

    [Fact]
    public async Task an_analysis_records_when_the_bridge_published_the_payment()
    {
        // What ops/bench/run fraud reads as the bridge's commit -> Kafka latency: the publish instant lies between the
        // payment's commit and its scoring, whatever the verdict.
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        var response = await alice.PostRawWithKeyAsync("/v1/payments",
            $$"""{"payerAccountId":"{{payer}}","payeeAccountId":"{{payee}}","amount":{"amount":"3.00","currency":"USD"},"purpose":"personal"}""",
            Guid.NewGuid().ToString());
        var id = (await response.JsonAsync()).GetProperty("id").GetString()!;
        await FinalAsync(alice, id);

        await using var session = hosts.Fraud.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var stored = await session.LoadAsync<FraudAnalysis>(FraudAnalysis.IdFor(id));
        stored.Should().NotBeNull("the pipeline scored the payment");
        stored!.PublishedAt.Should().NotBeNull();
        stored.PublishedAt!.Value.Should().BeOnOrAfter(stored.PaymentCreatedAt).And.BeOnOrBefore(stored.AnalyzedAt);
    }

    [Fact]
    public async Task a_card_testing_burst_is_stopped_with_analyses_and_alerts()
    {
        // The "testing" scenario: a fresh account fires many tiny payments at accounts it never paid, seconds apart.
        using var mallory = hosts.ClientFor("mallory");
        using var others = hosts.ClientFor("others");
        using var support = hosts.ClientFor("sam", "support");
        var payer = await FundedAccountAsync(mallory, "500.00");
        var payees = new List<string>();
        for (var i = 0; i < 15; i++)
        {
            payees.Add((await AccountFixtures.CreateAsync(others)).Id);
        }

        var ids = new List<string>();
        foreach (var payee in payees)
        {
            var response = await mallory.PostWithKeyAsync("/v1/payments", Payment(payer, payee, "1.00"));
            response.StatusCode.Should().Be(HttpStatusCode.Created);
            ids.Add((await response.JsonAsync()).GetProperty("id").GetString()!);
        }

        var statuses = new List<string>();
        foreach (var id in ids)
        {
            statuses.Add((await FinalAsync(mallory, id)).GetProperty("status").GetString()!);
        }

        statuses.Should().Contain(s => s == "rejected" || s == "in_review", "the burst must be stopped: " + string.Join(",", statuses));
        statuses[0].Should().Be("completed", "one small first payment is ordinary");

        var analyses = await (await support.GetAsync($"/v1/fraud/analyses?accountId={payer}&limit=100")).JsonAsync();
        analyses.GetArrayLength().Should().Be(ids.Count, "every payment is analysed exactly once");
        var stopped = analyses.EnumerateArray().Where(a => a.GetProperty("decision").GetString() != "approve").ToList();
        stopped.Should().NotBeEmpty();
        stopped.Should().OnlyContain(a => a.GetProperty("reasons").GetArrayLength() > 0, "a stopped payment says why");
        stopped.SelectMany(a => a.GetProperty("reasons").EnumerateArray().Select(r => r.GetString())).Should().Contain(r => r!.Contains("minute", StringComparison.Ordinal));

        var alerts = await (await support.GetAsync($"/v1/alerts?accountId={payer}&type=high_risk")).JsonAsync();
        alerts.GetArrayLength().Should().Be(stopped.Count);
        (await mallory.GetAsync($"/v1/alerts?accountId={payer}")).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        // The alerts also went to the alerts topic.
        var published = hosts.Messages(hosts.Kafka.Settings.AlertsTopic, count: 1000);
        published.Select(m => System.Text.Json.JsonDocument.Parse(m.Message.Value).RootElement.GetProperty("paymentId").GetString())
            .Should().Contain(stopped.Select(a => a.GetProperty("paymentId").GetString()));
    }

    [Fact]
    public async Task a_redelivered_event_changes_nothing()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var (payer, payee, _) = await ShardedTrioAsync(hosts, alice, bob);
        var response = await alice.PostRawWithKeyAsync("/v1/payments",
            $$"""{"payerAccountId":"{{payer}}","payeeAccountId":"{{payee}}","amount":{"amount":"7.00","currency":"USD"},"purpose":"personal"}""",
            Guid.NewGuid().ToString(), prefer: "wait=10");
        var id = (await response.JsonAsync()).GetProperty("id").GetString()!;
        (await FinalAsync(alice, id)).GetProperty("status").GetString().Should().Be("completed");

        // Read the payment's events back from Kafka, as a consumer restarting from an old offset would get them.
        var envelopes = hosts.PublishedEvents()
            .Where(e => e.StreamId == id || e.StreamId == payer || e.StreamId == payee)
            .ToList();
        envelopes.Should().Contain(e => e.Type == "payment_funds_reserved.v1" && e.StreamId == id);

        var store = hosts.Fraud.Services.GetRequiredService<IDocumentStore>();
        async Task<(string Analysis, string Payer, string Payee)> SnapshotAsync()
        {
            await using var session = store.QuerySession();
            var analysis = await session.Json.FindByIdAsync<FraudAnalysis>(FraudAnalysis.IdFor(id));
            var payerFeatures = await session.Json.FindByIdAsync<Ledger.FraudPipeline.Features.AccountFeatures>(payer);
            var payeeFeatures = await session.Json.FindByIdAsync<Ledger.FraudPipeline.Features.AccountFeatures>(payee);
            return (analysis!, payerFeatures!, payeeFeatures!);
        }

        var before = await SnapshotAsync();
        var processor = hosts.Fraud.Services.GetRequiredService<FraudProcessor>();
        var again = await processor.ProcessAsync(envelopes, CancellationToken.None);
        again.Scored.Should().Be(0);
        again.Duplicates.Should().BeGreaterThanOrEqualTo(1);
        again.Alerts.Should().BeEmpty();
        again.Verdicts.Should().BeEmpty("the payment is decided: nothing to send again");
        (await SnapshotAsync()).Should().Be(before);
        (await AvailableAsync(bob, payee)).Should().Be("7.00");
    }
}
