using Confluent.Kafka;
using Ledger.FraudPipeline.Kafka;
using Ledger.FraudPipeline.Scoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Fraud;

public class retention_hosts : FraudHosts
{
    public const int Keep = 2;

    protected override IEnumerable<KeyValuePair<string, string?>> FraudSettings =>
    [
        new("Kafka:MockTrimInterval", "00:00:00.200"),
        new("Kafka:MockKeepConsumed", Keep.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        // The restarted consumer rejoins its group without waiting out the stopped one's 45 s session.
        new("Kafka:ConsumerSessionTimeoutMs", "6000"),
    ];
}

/// <summary>
/// The embedded cluster's retention (Kafka/EmbeddedRetention.cs): records the scoring consumer's group has committed
/// are dropped, all but the newest <see cref="retention_hosts.Keep"/> per partition; records it has not committed are
/// never dropped, so a stopped consumer still scores every payment when it comes back.
/// </summary>
public class keeping_the_embedded_kafka_small(retention_hosts hosts) : IClassFixture<retention_hosts>
{
    [Fact]
    public async Task records_the_scoring_consumer_has_committed_are_dropped_but_the_newest_few()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        var payer = await FundedAccountAsync(alice, "100.00");
        var payee = (await AccountFixtures.CreateAsync(bob)).Id;
        var ids = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            var response = await alice.PostWithKeyAsync("/v1/payments", Payment(payer, payee, "1.00"));
            ids.Add((await response.JsonAsync()).GetProperty("id").GetString()!);
        }

        await FraudHosts.DecidedAsync(alice, ids, TimeSpan.FromSeconds(60));

        var positions = new List<(long Low, long High, long Committed)>();
        await EventuallyAsync(
            async () =>
            {
                positions = await PositionsAsync();
                return positions.All(p => p.Low == Math.Max(0, p.Committed - retention_hosts.Keep)) && positions.Any(p => p.Low > 0);
            },
            () => $"each partition's log should start {retention_hosts.Keep} below the group's commit; (low, high, committed): {string.Join(", ", positions)}");
    }

    [Fact]
    public async Task records_a_stopped_consumer_has_not_committed_are_kept_and_scored_when_it_returns()
    {
        using var alice = hosts.ClientFor("alice");
        using var bob = hosts.ClientFor("bob");
        using var support = hosts.ClientFor("sam", "support");
        var payer = await FundedAccountAsync(alice, "100.00");
        var payee = (await AccountFixtures.CreateAsync(bob)).Id;
        var worker = hosts.Fraud.Services.GetServices<IHostedService>().OfType<FraudWorker>().Single();
        var earlier = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            earlier.Add((await (await alice.PostWithKeyAsync("/v1/payments", Payment(payer, payee, "1.00"))).JsonAsync()).GetProperty("id").GetString()!);
        }

        // The group has committed everything so far (the verdicts' own events included) before the consumer stops.
        await FraudHosts.DecidedAsync(alice, earlier, TimeSpan.FromSeconds(60));
        await EventuallyAsync(async () => (await PositionsAsync()).All(p => p.Committed == p.High), () => "the consumer commits what it has processed");

        await worker.StopAsync(CancellationToken.None);
        var ids = new List<string>();
        try
        {
            var before = await PositionsAsync();
            for (var i = 0; i < 6; i++)
            {
                var response = await alice.PostWithKeyAsync("/v1/payments", Payment(payer, payee, "1.00"));
                ids.Add((await response.JsonAsync()).GetProperty("id").GetString()!);
            }

            // Published, and two retention rounds later still there: nothing the group has not committed goes.
            await EventuallyAsync(async () => (await PositionsAsync()).Sum(p => p.High) >= before.Sum(p => p.High) + ids.Count,
                () => "the bridge publishes while the consumer is stopped");
            var retention = hosts.Fraud.Services.GetRequiredService<EmbeddedRetention>();
            var rounds = retention.Rounds;
            await EventuallyAsync(() => Task.FromResult(retention.Rounds >= rounds + 2), () => "the retention runs every 200 ms");
            var after = await PositionsAsync();
            after.Select(p => p.Committed).Should().Equal(before.Select(p => p.Committed), "the stopped consumer committed nothing");
            after.Should().OnlyContain(p => p.Low <= Math.Max(0, p.Committed), "records above the group's commit are not the retention's to drop");
        }
        finally
        {
            await worker.StartAsync(CancellationToken.None);
        }

        await FraudHosts.DecidedAsync(alice, ids, TimeSpan.FromSeconds(60));
        foreach (var id in ids)
        {
            (await (await support.GetAsync($"/v1/fraud/analyses?paymentId={id}")).JsonAsync()).GetArrayLength()
                .Should().Be(1, "the returning consumer scores what it missed (the deadline is a minute: no rules fallback)");
        }
    }

    /// <summary>Per partition of the events topic: the log's start and end, and where the scoring group has committed
    /// (0 when it has not), as the cluster reports them over the protocol.</summary>
    private async Task<List<(long Low, long High, long Committed)>> PositionsAsync()
    {
        var settings = hosts.Kafka.Settings;
        var partitions = Enumerable.Range(0, settings.MockPartitions).Select(p => new TopicPartition(settings.EventsTopic, new Partition(p))).ToList();
        using var admin = new DependentAdminClientBuilder(hosts.Kafka.Producer.Handle).Build();
        var groups = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(settings.ConsumerGroup, partitions)]);
        var committed = groups.Single().Partitions.ToDictionary(p => p.Partition.Value, p => p.Offset.IsSpecial ? 0 : p.Offset.Value);
        using var reader = new ConsumerBuilder<Ignore, Ignore>(hosts.Kafka.Config(new ConsumerConfig { GroupId = "check-" + Guid.NewGuid().ToString("N") })).Build();
        return partitions.Select(tp =>
        {
            var marks = reader.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10));
            return (marks.Low.Value, marks.High.Value, committed.GetValueOrDefault(tp.Partition.Value));
        }).ToList();
    }
}
