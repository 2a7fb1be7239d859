using System.Diagnostics.Metrics;
using Confluent.Kafka;
using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Subscriptions;
using Polly;
using Polly.Retry;

namespace Ledger.FraudPipeline.Kafka;

/// <summary>
/// The event store is the outbox (DESIGN step 3): a Marten subscription reads committed events in global sequence
/// order and publishes each to the events topic before the daemon records its position (in PostgreSQL, after this
/// method returns). Nothing is written twice anywhere: a crash between publishing and recording the position only
/// republishes (at least once; consumers deduplicate by event id). While Kafka is unreachable the page is retried
/// with growing backoff and the position does not move, so payments keep being accepted and the bridge catches up,
/// in order, when the broker returns.
/// </summary>
public sealed class KafkaBridge : SubscriptionBase
{
    public const string SubscriptionId = "kafka_bridge";

    private static readonly Meter Meter = new("Ledger.KafkaBridge");
    private static readonly Counter<long> Published = Meter.CreateCounter<long>("ledger.bridge.published", description: "Events published to Kafka");
    private static readonly Histogram<double> Lag = Meter.CreateHistogram<double>("ledger.bridge.lag", "ms", "Commit to Kafka acknowledgement");

    private readonly KafkaCluster _kafka;
    private readonly ILogger<KafkaBridge> _logger;
    private readonly ResiliencePipeline _retry;

    /// <remarks>Takes no IDocumentStore: the store is built with this subscription in it (a cycle); the serializer
    /// comes from the session each page arrives with.</remarks>
    public KafkaBridge(KafkaCluster kafka, ILogger<KafkaBridge> logger)
    {
        _kafka = kafka;
        _logger = logger;
        Name = SubscriptionId;
        Options.BatchSize = 1_000;
        _retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<KafkaException>(),
                MaxRetryAttempts = int.MaxValue, // until the broker is back or the process stops
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(10),
                OnRetry = args =>
                {
                    _logger.LogWarning("Kafka unavailable ({Reason}); retrying the bridge's page in {Delay}.", args.Outcome.Exception?.Message, args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public override async Task<IChangeListener> ProcessEventsAsync(EventRange page, ISubscriptionController controller, IDocumentOperations operations, CancellationToken cancellationToken)
    {
        var serializer = operations.DocumentStore.Options.Serializer();
        var messages = page.Events.Select(e => new Message<string, byte[]>
        {
            Key = e.StreamKey ?? e.StreamId.ToString(),
            Value = EventEnvelope.Write(e.Id, e.Sequence, e.StreamKey ?? e.StreamId.ToString(), e.Version, e.EventTypeName, e.Timestamp,
                serializer.ToJson(e.Data), DateTimeOffset.UtcNow),
            Headers = new Headers { { "event-type", System.Text.Encoding.UTF8.GetBytes(e.EventTypeName) } },
        }).ToList();

        if (messages.Count > 0)
        {
            await _retry.ExecuteAsync(async ct => await PublishAsync(messages, ct), cancellationToken);
            var now = DateTimeOffset.UtcNow;
            foreach (var e in page.Events)
            {
                Lag.Record((now - e.Timestamp).TotalMilliseconds);
            }

            Published.Add(messages.Count);
        }

        return NullChangeListener.Instance;
    }

    /// <summary>Produces every message and waits for every acknowledgement; any failure fails the page (retried whole).</summary>
    private async Task PublishAsync(List<Message<string, byte[]>> messages, CancellationToken ct)
    {
        var producer = _kafka.Producer;
        var topic = _kafka.Settings.EventsTopic;
        var pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var remaining = messages.Count;
        Error? failure = null;
        foreach (var message in messages)
        {
            producer.Produce(topic, message, report =>
            {
                if (report.Error.IsError)
                {
                    Interlocked.CompareExchange(ref failure, report.Error, null);
                }

                if (Interlocked.Decrement(ref remaining) == 0)
                {
                    pending.TrySetResult();
                }
            });
        }

        await pending.Task.WaitAsync(ct);
        if (failure is not null)
        {
            throw new KafkaException(failure);
        }
    }
}
