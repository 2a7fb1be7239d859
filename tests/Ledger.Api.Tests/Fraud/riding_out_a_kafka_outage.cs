using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Fraud;

public class outage_hosts : FraudHosts
{
}

/// <summary>
/// The broker goes away (librdkafka's mock broker set down: connections refused, over the real protocol) and comes
/// back. Payments are accepted and reserved meanwhile; the bridge retries with backoff and catches up, in order per
/// key, losing nothing; then the payments are scored and decided.
/// </summary>
public class riding_out_a_kafka_outage(outage_hosts hosts) : IClassFixture<outage_hosts>
{
    [Fact]
    public async Task payments_are_accepted_while_kafka_is_down_and_decided_in_order_when_it_returns()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        using var support = hosts.ClientFor("sam", "support");
        var payer = await FundedAccountAsync(alice, "100.00");
        var payee = (await AccountFixtures.CreateAsync(bob)).Id;

        hosts.Kafka.SetBrokerUp(1, up: false);
        var ids = new List<string>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                var response = await alice.PostWithKeyAsync("/v1/payments", Payment(payer, payee, "3.00"));
                response.StatusCode.Should().Be(HttpStatusCode.Created, "the ledger does not need Kafka to accept a payment");
                ids.Add((await response.JsonAsync()).GetProperty("id").GetString()!);
            }

            (await BalanceAsync(alice, payer)).GetProperty("pending").GetString().Should().Be("15.00");
            await Task.Delay(TimeSpan.FromSeconds(3));
            foreach (var id in ids)
            {
                (await (await alice.GetAsync($"/v1/payments/{id}")).JsonAsync()).GetProperty("status").GetString().Should().Be("pending");
            }

            (await (await support.GetAsync($"/v1/fraud/analyses?accountId={payer}")).JsonAsync()).GetArrayLength().Should().Be(0);
        }
        finally
        {
            hosts.Kafka.SetBrokerUp(1, up: true);
        }

        // The bridge must catch up once the broker is back.
        var decided = await FraudHosts.DecidedAsync(alice, ids, TimeSpan.FromSeconds(60));
        var inReview = decided.Count(p => p.GetProperty("status").GetString() == "in_review");

        var analyses = await (await support.GetAsync($"/v1/fraud/analyses?accountId={payer}")).JsonAsync();
        analyses.EnumerateArray().Select(a => a.GetProperty("paymentId").GetString()).Should().BeEquivalentTo(ids, "each payment scored exactly once");
        (await BalanceAsync(alice, payer)).GetProperty("pending").GetString().Should().Be($"{inReview * 3}.00", "only payments waiting for support keep a reserve");

        // Nothing lost, nothing reordered per key: every event of these payments is in the topic, and per stream
        // the first sighting of each version comes in version order. (A decision's own events leave with the
        // bridge's next page after it commits: wait until the topic holds as many versions as the store.)
        using var connection = new Npgsql.NpgsqlConnection(hosts.ConnectionString);
        await connection.OpenAsync();
        var storedVersions = new Dictionary<string, List<long>>();
        foreach (var id in ids)
        {
            storedVersions[id] = (await Money.LedgerInvariants.RowsAsync(connection, $"select version from ledger.mt_events where stream_id = '{id}' order by version"))
                .Select(r => (long)r[0]).ToList();
        }

        var seen = new Dictionary<string, List<long>>();
        await EventuallyAsync(() =>
        {
            seen = [];
            foreach (var e in hosts.PublishedEvents().Where(e => ids.Contains(e.StreamId)))
            {
                (seen.TryGetValue(e.StreamId, out var versions) ? versions : seen[e.StreamId] = []).Add(e.Version);
            }

            return Task.FromResult(ids.All(id => seen.TryGetValue(id, out var v) && v.Distinct().Count() >= storedVersions[id].Count));
        }, () => "every stored event of these payments should reach the topic", TimeSpan.FromSeconds(30));
        foreach (var id in ids)
        {
            var stored = storedVersions[id];
            seen.Should().ContainKey(id);
            seen[id].Distinct().Should().Equal(stored, $"payment {id}'s events arrive complete and in order");
        }
    }
}
