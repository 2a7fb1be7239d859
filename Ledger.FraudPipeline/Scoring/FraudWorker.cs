using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Confluent.Kafka;
using Ledger.FraudPipeline.Kafka;

namespace Ledger.FraudPipeline.Scoring;

/// <summary>
/// The scoring consumer: reads the events topic in batches (as many as have arrived, up to <see cref="MaxBatch"/>),
/// processes each batch in one transaction (<see cref="FraudProcessor"/>), publishes the alerts, and only then commits
/// its Kafka offsets — so a crash before that means redelivery, which the processor deduplicates. The next batch is
/// read and scored while one commits (two in flight at most; a failed commit fails the next at the version check and
/// both are redelivered). Verdicts are handed, as soon as their batch commits,
/// to <see cref="VerdictSenders"/> senders and delivered while the next batch is scored: waiting for the ledger's
/// answer inside the loop made every batch pay for the one before it (measured: ops/bench/README.md, "Fraud
/// pipeline"). A verdict lost in a crash after the offsets moved is covered by the ledger's verdict deadline.
/// </summary>
public sealed class FraudWorker(KafkaCluster kafka, FraudProcessor processor, VerdictClient verdicts, ILogger<FraudWorker> logger) : BackgroundService
{
    public const int MaxBatch = 500;

    /// <summary>Verdict calls in flight at once.</summary>
    public const int VerdictSenders = 4;

    private static readonly Meter Meter = new("Ledger.FraudPipeline");
    private static readonly Counter<long> Scored = Meter.CreateCounter<long>("ledger.fraud.scored", description: "Payments scored");
    private static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("ledger.fraud.duplicates", description: "Redelivered events ignored");
    private static readonly Histogram<double> WriteMilliseconds = Meter.CreateHistogram<double>("ledger.fraud.write.duration", "ms", "Time to commit one scored batch's writes");

    private static System.Threading.Channels.Channel<IReadOnlyList<Verdict>> NewVerdictChannel() =>
        System.Threading.Channels.Channel.CreateBounded<IReadOnlyList<Verdict>>(new System.Threading.Channels.BoundedChannelOptions(64));

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Verdicts pass from the consumer loop to the senders through a channel of this run's own: the loop completes it
        // when it stops, and a stopped worker can be started again.
        var channel = NewVerdictChannel();
        var senders = Enumerable.Range(0, VerdictSenders).Select(_ => Task.Run(() => SendVerdictsAsync(channel, stoppingToken), stoppingToken)).ToList();
        // Consume blocks: a thread of its own, not the host's start-up path.
        var consumer = Task.Factory.StartNew(() => RunAsync(channel.Writer, stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        return Task.WhenAll([consumer, .. senders]);
    }

    private async Task SendVerdictsAsync(System.Threading.Channels.Channel<IReadOnlyList<Verdict>> channel, CancellationToken ct)
    {
        try
        {
            await foreach (var batch in channel.Reader.ReadAllAsync(ct))
            {
                await verdicts.SendAsync(batch, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task RunAsync(System.Threading.Channels.ChannelWriter<IReadOnlyList<Verdict>> verdictQueue, CancellationToken ct)
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
            SessionTimeoutMs = kafka.Settings.ConsumerSessionTimeoutMs,
        });
        using var consumer = new ConsumerBuilder<string, byte[]>(config)
            .SetErrorHandler((_, error) => logger.LogWarning("Kafka consumer: {Reason}", error.Reason))
            .Build();
        consumer.Subscribe(kafka.Settings.EventsTopic);
        var batch = new List<ConsumeResult<string, byte[]>>(MaxBatch);
        // Two batches overlap: the one committing, and the next being read and scored meanwhile (measured at 1,000
        // payments/s: a batch spent ~3 ms preparing and ~15 ms committing). Everything after a commit — the batch's
        // verdicts, alerts and Kafka offsets — happens in batch order, only once that commit has succeeded.
        InFlight? committing = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                batch.Clear();
                var first = consumer.Consume(committing is null ? TimeSpan.FromMilliseconds(250) : TimeSpan.Zero);
                if (first is null || first.IsPartitionEOF)
                {
                    if (committing is not null)
                    {
                        await FinishAsync(consumer, committing, ct); // nothing new arrived: see the one in flight through
                        committing = null;
                    }

                    continue;
                }

                batch.Add(first);
                while (batch.Count < MaxBatch && consumer.Consume(TimeSpan.Zero) is { IsPartitionEOF: false } next)
                {
                    batch.Add(next);
                }

                var prepared = await processor.PrepareAsync(Envelopes(batch), ct);
                if (committing is not null)
                {
                    await FinishAsync(consumer, committing, ct);
                    committing = null;
                }

                committing = new InFlight(prepared, CommitThenSendVerdictsAsync(prepared, verdictQueue, ct),
                    batch.Select(r => r.TopicPartitionOffset).GroupBy(o => o.TopicPartition)
                        .Select(g => new TopicPartitionOffset(g.Key, g.Max(o => o.Offset.Value) + 1)).ToList());
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
                // Nothing past the last finished batch was committed to Kafka: let the batch in flight end (a commit
                // that succeeds only makes its events repeats), forget the cached documents, rewind to the last
                // committed offsets and try again.
                logger.LogError(ex, "Scoring a batch of {Count} events failed; it will be redelivered.", batch.Count);
                if (committing is not null)
                {
                    await committing.Commit.ContinueWith(_ => { }, TaskScheduler.Default);
                    committing = null;
                }

                processor.ForgetCached();
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

        if (committing is not null)
        {
            await committing.Commit.ContinueWith(_ => { }, TaskScheduler.Default); // not acknowledged to Kafka: redelivered, deduplicated
        }

        consumer.Close();
        verdictQueue.TryComplete();
    }

    private sealed record InFlight(PreparedBatch Prepared, Task Commit, List<TopicPartitionOffset> Offsets);

    /// <summary>A batch's verdicts leave as soon as its analyses are committed — not when the loop next looks at the
    /// batch, after reading and scoring the one behind it (that wait was in every verdict's latency). A batch's commit
    /// starts only after the one before it finished, so verdicts still leave in batch order.</summary>
    private async Task CommitThenSendVerdictsAsync(PreparedBatch prepared, System.Threading.Channels.ChannelWriter<IReadOnlyList<Verdict>> verdictQueue, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await processor.CommitAsync(prepared, ct);
        if (prepared.Write is not null) // a batch of repeats writes nothing: no zero in the write-time histogram
        {
            WriteMilliseconds.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        if (prepared.Result.Verdicts.Count > 0)
        {
            await verdictQueue.WriteAsync(prepared.Result.Verdicts, ct); // waits only when 64 batches are already queued
        }
    }

    private List<EventEnvelope> Envelopes(List<ConsumeResult<string, byte[]>> batch)
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

        return envelopes;
    }

    /// <summary>After a batch's commit (which already handed its verdicts to the senders): its alerts to the alerts
    /// topic, then its offsets.</summary>
    private async Task FinishAsync(IConsumer<string, byte[]> consumer, InFlight batch, CancellationToken ct)
    {
        await batch.Commit;
        var processed = batch.Prepared.Result;
        Scored.Add(processed.Scored);
        Duplicates.Add(processed.Duplicates);
        foreach (var alert in processed.Alerts)
        {
            // At least once, like everything here; keyed by account, id deterministic for consumers to deduplicate.
            kafka.Producer.Produce(kafka.Settings.AlertsTopic, new Message<string, byte[]>
            {
                Key = alert.AccountId,
                Value = JsonSerializer.SerializeToUtf8Bytes(alert, EventEnvelope.Json),
            });
        }

        consumer.Commit(batch.Offsets);
    }
}
