using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Ledger.FraudPipeline.Kafka;

/// <summary>
/// Retention for the embedded cluster only (a real cluster has its own, configured with its topics). Every
/// <see cref="KafkaSettings.MockTrimInterval"/> it asks the cluster, over the Kafka protocol, where the scoring
/// consumer's group has committed on each partition of the events topic, and drops the records more than
/// <see cref="KafkaSettings.MockKeepConsumed"/> below that. A record the group has not committed is never dropped, so a
/// consumer that is stopped or behind loses nothing; a group with no commit yet drops nothing.
/// <para>Why: librdkafka's mock broker keeps up to 5 MB per partition and, for every fetch, walks that log from its
/// start to find the fetch offset — also when there is nothing new, which with the consumer's 5 ms fetch wait is ~200
/// times a second per partition. perf at 200 payments/s (`ops/bench/run mixed`) put that walk at ~5% of the whole
/// machine's samples (ops/bench/README.md, "Morning of 2026-11-26").</para>
/// </summary>
public sealed class EmbeddedRetention(KafkaCluster kafka, TimeProvider clock, ILogger<EmbeddedRetention> logger) : BackgroundService
{
    private readonly Dictionary<int, long> _trimmedTo = [];
    private long _rounds;

    /// <summary>Rounds completed so far (a round that could not reach the broker does not count).</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = kafka.Settings;
        if (!kafka.Embedded || settings.MockTrimInterval <= TimeSpan.Zero)
        {
            return;
        }

        using var admin = new DependentAdminClientBuilder(kafka.Producer.Handle).Build();
        using var timer = new PeriodicTimer(settings.MockTrimInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await TrimAsync(admin, stoppingToken);
                Interlocked.Increment(ref _rounds);
            }
            catch (KafkaException ex)
            {
                // The broker may be down (fault tests take it away); the next tick tries again.
                logger.LogDebug("Embedded Kafka retention skipped a round: {Reason}", ex.Error.Reason);
            }
            catch (InvalidOperationException ex)
            {
                // The mock refused (a partition it does not have): retention is housekeeping, never a reason to stop.
                logger.LogWarning("Embedded Kafka retention skipped a round: {Reason}", ex.Message);
            }
        }
    }

    private async Task TrimAsync(IAdminClient admin, CancellationToken ct)
    {
        var settings = kafka.Settings;
        var partitions = Enumerable.Range(0, settings.MockPartitions)
            .Select(p => new TopicPartition(settings.EventsTopic, new Partition(p))).ToList();
        var groups = await admin.ListConsumerGroupOffsetsAsync(
            [new ConsumerGroupTopicPartitions(settings.ConsumerGroup, partitions)],
            new ListConsumerGroupOffsetsOptions { RequestTimeout = TimeSpan.FromSeconds(5) });
        ct.ThrowIfCancellationRequested();
        foreach (var committed in groups.SelectMany(g => g.Partitions))
        {
            if (committed.Error.IsError || committed.Offset.IsSpecial)
            {
                continue; // nothing committed on this partition yet: keep everything
            }

            var before = committed.Offset.Value - settings.MockKeepConsumed;
            var partition = committed.Partition.Value;
            if (before <= 0 || before <= _trimmedTo.GetValueOrDefault(partition))
            {
                continue;
            }

            kafka.DeleteRecords(settings.EventsTopic, partition, before);
            _trimmedTo[partition] = before;
        }
    }
}
