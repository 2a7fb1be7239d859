using Ledger.FraudPipeline.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Fraud;

public class leader_hosts : FraudHosts
{
}

/// <summary>
/// One bridge publishes across processes (a session advisory lock): a second one stands by — two leaders would
/// publish every event twice — and takes over from the recorded position when the first stops, losing nothing.
/// </summary>
public class leading_the_kafka_bridge(leader_hosts hosts) : IClassFixture<leader_hosts>
{
    [Fact]
    public async Task a_second_bridge_stands_by_and_takes_over_when_the_first_stops()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var payer = await FundedAccountAsync(alice, "100.00");
        var payee = (await AccountFixtures.CreateAsync(bob)).Id;
        var first = hosts.Fraud.Services.GetServices<IHostedService>().OfType<KafkaBridge>().Single();
        var second = ActivatorUtilities.CreateInstance<KafkaBridge>(hosts.Fraud.Services); // as another process would run it
        await second.StartAsync(CancellationToken.None);
        var ids = new List<string>();
        try
        {
            ids.AddRange(await PayAndAwaitDecisionsAsync(alice, payer, payee));
            await first.StopAsync(CancellationToken.None);
            ids.AddRange(await PayAndAwaitDecisionsAsync(alice, payer, payee)); // published only if the second took over
            // A decision is visible once committed; its own events leave with the bridge's next page. Only the second
            // bridge runs now: wait for it to publish them before stopping it.
            await EventuallyAsync(async () => (await StoredAsync(ids)).All(Published(ids).Contains),
                () => "every stored event of these payments should be published by the second bridge", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await second.StopAsync(CancellationToken.None);
        }

        Published(ids).Should().BeEquivalentTo(await StoredAsync(ids), "every event of these payments is published, and only once: never two leaders");
    }

    private List<Guid> Published(List<string> ids) =>
        hosts.PublishedEvents().Where(e => ids.Contains(e.StreamId)).Select(e => e.EventId).ToList();

    private async Task<List<Guid>> StoredAsync(List<string> ids)
    {
        await using var connection = new Npgsql.NpgsqlConnection(hosts.ConnectionString);
        await connection.OpenAsync();
        return (await Money.LedgerInvariants.RowsAsync(connection,
                $"select id from ledger.mt_events where stream_id in ({string.Join(", ", ids.Select(id => $"'{id}'"))})"))
            .Select(r => (Guid)r[0]).ToList();
    }

    private static async Task<List<string>> PayAndAwaitDecisionsAsync(Ledger.Testing.LedgerClient alice, string payer, string payee)
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var response = await alice.PostWithKeyAsync("/v1/payments", Payment(payer, payee, "1.00"));
            response.StatusCode.Should().Be(HttpStatusCode.Created);
            ids.Add((await response.JsonAsync()).GetProperty("id").GetString()!);
        }

        // The test hosts' verdict deadline is a minute: a payment decided here was published and scored.
        await FraudHosts.DecidedAsync(alice, ids, TimeSpan.FromSeconds(60));

        return ids;
    }
}
