using System.Diagnostics.Metrics;
using System.Text.Json;
using Confluent.Kafka;
using Ledger.FraudPipeline.Kafka;

namespace Ledger.FraudPipeline.Scoring;

/// <summary>
/// The scoring consumer: reads the events topic in batches (as many as have arrived, up to <see cref="MaxBatch"/>),
/// processes each batch in one transaction (<see cref="FraudProcessor"/>), publishes the alerts, and only then commits
/// its Kafka offsets — so a crash before that means redelivery, which the processor deduplicates. Verdicts are handed
/// to <see cref="VerdictSenders"/> senders and delivered while the next batch is scored: waiting for the ledger's
/// answer inside the loop made every batch pay for the one before it (measured: ops/bench/README.md, "Fraud
/// pipeline"). A verdict lost in a crash after the offsets moved is covered by the ledger's verdict deadline.
/// </summary>
public sealed class FraudWorker(KafkaCluster kafka, FraudProcessor processor, VerdictClient verdicts, ILogger<FraudWorker> logger) : BackgroundService
{
    public const int MaxBatch = 500;

    /// <summary>Verdict calls in flight at once.</summary>
    public const int VerdictSenders = 4;

    private readonly System.Threading.Channels.Channel<IReadOnlyList<Verdict>> _verdicts =
        System.Threading.Channels.Channel.CreateBounded<IReadOnlyList<Verdict>>(new System.Threading.Channels.BoundedChannelOptions(64) { SingleWriter = true });

    private static readonly Meter Meter = new("Ledger.FraudPipeline");
    private static readonly Counter<long> Scored = Meter.CreateCounter<long>("ledger.fraud.scored", description: "Payments scored");
    private static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("ledger.fraud.duplicates", description: "Redelivered events ignored");

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var senders = Enumerable.Range(0, VerdictSenders).Select(_ => Task.Run(() => SendVerdictsAsync(stoppingToken), stoppingToken)).ToList();
        // Consume blocks: a thread of its own, not the host's start-up path.
        var consumer = Task.Factory.StartNew(() => RunAsync(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        return Task.WhenAll([consumer, .. senders]);
    }

    private async Task SendVerdictsAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var batch in _verdicts.Reader.ReadAllAsync(ct))
            {
                await verdicts.SendAsync(batch, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task RunAsync(CancellationToken ct)
    {
        var config = kafka.Config(new ConsumerConfig
        {
            GroupId = kafka.Settings.ConsumerGroup,
            ClientId = "ledger-fraud-scoring",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            // A payment waits for its verdict: fetch what is there now rather than waiting to fill a batch.
            FetchWaitMaxMs = 5,
            FetchMinBytes = 1,
            // A topic created after we subscribed (a new cluster) is found within seconds, not the default 5 minutes.
            TopicMetadataRefreshIntervalMs = 5_000,
        });
        using var consumer = new ConsumerBuilder<string, byte[]>(config)
            .SetErrorHandler((_, error) => logger.LogWarning("Kafka consumer: {Reason}", error.Reason))
            .Build();
        consumer.Subscribe(kafka.Settings.EventsTopic);
        var batch = new List<ConsumeResult<string, byte[]>>(MaxBatch);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                batch.Clear();
                var first = consumer.Consume(TimeSpan.FromMilliseconds(250));
                if (first is null || first.IsPartitionEOF)
                {
                    continue;
                }

                batch.Add(first);
                while (batch.Count < MaxBatch && consumer.Consume(TimeSpan.Zero) is { IsPartitionEOF: false } next)
                {
                    batch.Add(next);
                }

                await HandleAsync(batch, ct);
                consumer.Commit(batch.Select(r => r.TopicPartitionOffset).GroupBy(o => o.TopicPartition)
                    .Select(g => new TopicPartitionOffset(g.Key, g.Max(o => o.Offset.Value) + 1)));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (ConsumeException ex) when (ex.Error.Code == ErrorCode.UnknownTopicOrPart)
            {
                // Nothing consumed yet: the topic appears when the first event is published (or is provisioned).
                logger.LogInformation("Waiting for topic {Topic}: {Reason}", kafka.Settings.EventsTopic, ex.Error.Reason);
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
            catch (Exception ex)
            {
                // Nothing was committed to Kafka for this batch: rewind to the last committed offsets and try again.
                logger.LogError(ex, "Scoring a batch of {Count} events failed; it will be redelivered.", batch.Count);
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                try
                {
                    foreach (var partition in consumer.Assignment)
                    {
                        var committed = consumer.Committed([partition], TimeSpan.FromSeconds(5)).FirstOrDefault();
                        consumer.Seek(new TopicPartitionOffset(partition, committed?.Offset is { } o && o != Offset.Unset ? o : Offset.Beginning));
                    }
                }
                catch (KafkaException seekFailed)
                {
                    // The broker is away too: start over from the group's committed offsets once it is back.
                    logger.LogWarning("Could not rewind to the committed offsets ({Reason}); resubscribing.", seekFailed.Error.Reason);
                    consumer.Unsubscribe();
                    consumer.Subscribe(kafka.Settings.EventsTopic);
                }
            }
        }

        consumer.Close();
        _verdicts.Writer.TryComplete();
    }

    private async Task HandleAsync(List<ConsumeResult<string, byte[]>> batch, CancellationToken ct)
    {
        var envelopes = new List<EventEnvelope>(batch.Count);
        foreach (var result in batch)
        {
            // Most events (completions, account edits, ledger bookkeeping) are not the processor's: the bridge names
            // each event's type in a header, so only the ones it scores from are parsed (a JSON parse per message was
            // the consumer's largest own cost). A message without the header is parsed, to be judged by its body.
            if (EventEnvelope.TypeHeader(result.Message.Headers) is { } type && !FraudProcessor.Consumes(type))
            {
                continue;
            }

            if (EventEnvelope.Parse(result.Message.Value) is { } envelope)
            {
                envelopes.Add(envelope);
            }
            else
            {
                logger.LogError("Skipping an unreadable message at {Offset}.", result.TopicPartitionOffset);
            }
        }

        var processed = await processor.ProcessAsync(envelopes, ct);
        Scored.Add(processed.Scored);
        Duplicates.Add(processed.Duplicates);
        if (processed.Verdicts.Count > 0)
        {
            await _verdicts.Writer.WriteAsync(processed.Verdicts, ct); // waits only when 64 batches are already queued
        }

        foreach (var alert in processed.Alerts)
        {
            // At least once, like everything here; keyed by account, id deterministic for consumers to deduplicate.
            kafka.Producer.Produce(kafka.Settings.AlertsTopic, new Message<string, byte[]>
            {
                Key = alert.AccountId,
                Value = JsonSerializer.SerializeToUtf8Bytes(alert, EventEnvelope.Json),
            });
        }
    }
}
