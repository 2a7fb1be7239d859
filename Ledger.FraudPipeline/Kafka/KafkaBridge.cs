using System.Diagnostics.Metrics;
using Confluent.Kafka;
using Ledger.Projections.Store;
using Marten;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Ledger.FraudPipeline.Kafka;

/// <summary>
/// The event store is the outbox (DESIGN step 3): a checkpointed tail of <c>mt_events</c> that publishes committed
/// events, in global sequence order, to the events topic, and records its position (the progression row
/// <see cref="ProgressName"/>) only after Kafka has acknowledged the page: in the next read's transaction, or on a
/// stop. Nothing is written twice anywhere: a crash between publishing and recording the position only republishes
/// (at least once; consumers deduplicate by event id).
/// While Kafka is unreachable the page is retried with growing backoff and the position does not move, so payments
/// keep being accepted and the bridge catches up, in order, when the broker returns.
/// <para>
/// Why not a Marten subscription (as at first): measured, the async daemon's per-wake work — its high-water-mark and
/// gap query (~1 ms of PostgreSQL each), deserialising every event into its .NET type only to serialise it again, and
/// its progress transaction — cost 0.63 cores at 200 payments/s + 100 account edits/s on the 2-core box, more than the
/// ledger engine itself, and commit -> Kafka took 150 ms at p50 at 1,000 payments/s (ops/bench/README.md, "Where the
/// CPU goes"). This tail reads stored JSON as text and passes it through.
/// </para>
/// <para>
/// Never past an event that may still appear. Events that follow the position without a gap in their sequence
/// numbers are published as soon as they are visible; at a gap (a number drawn by a transaction still open, or one
/// abandoned for good) it reads only up to a <see cref="SequenceHorizon"/>, below which every number is committed or
/// abandoned. Asking the horizon on every wake made each commit wait for the writer's next transaction to end, since
/// the single shard writer has one open nearly all the time at load (ops/bench/README.md, "Night of 2026-11-26").
/// One bridge runs across processes: leadership is a session advisory lock on the connection that LISTENs for commits
/// (<c>mt_events_appended</c>, sent by Marten's appends and the engine's commit); if that connection goes, so do the
/// lock and the lead.
/// </para>
/// </summary>
public sealed class KafkaBridge(IDocumentStore store, KafkaCluster kafka, ILogger<KafkaBridge> logger) : BackgroundService
{
    /// <summary>The position row in Marten's <c>mt_event_progression</c> (the name the daemon used for this bridge).</summary>
    public const string ProgressName = "kafka_bridge:All";

    /// <summary>Events per page: one read, one produce burst, one acknowledgement wait, one position write.</summary>
    public const int PageSize = 1_000;

    /// <summary>Session advisory lock held by the one publishing process.</summary>
    public const long LeaderLockKey = 0x4C_4B_42_52_49_44_47; // "LKBRIDG"

    /// <summary>How long the tail sleeps without a commit signal before looking anyway (a lost NOTIFY is not lost data).</summary>
    public static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(250);

    private static readonly Meter Meter = new("Ledger.KafkaBridge");
    private static readonly Counter<long> Published = Meter.CreateCounter<long>("ledger.bridge.published", description: "Events published to Kafka");
    private static readonly Histogram<double> Lag = Meter.CreateHistogram<double>("ledger.bridge.lag", "ms", "Commit to Kafka acknowledgement");

    private readonly string _schema = store.Options.Events.DatabaseSchemaName;
    private readonly ResiliencePipeline _retry = new ResiliencePipelineBuilder()
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
                logger.LogWarning("Kafka unavailable ({Reason}); retrying the bridge's page in {Delay}.", args.Outcome.Exception?.Message, args.RetryDelay);
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await LeadAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // The database went away (or our connection did): nothing was recorded past what Kafka acknowledged.
                logger.LogWarning(ex, "The Kafka bridge lost its database connection; starting over from the recorded position.");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Anything else: the bridge must outlive it (the host would otherwise stop), and the recorded position
                // means nothing is skipped when it starts over.
                logger.LogError(ex, "The Kafka bridge failed; starting over from the recorded position in 5 s.");
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
    }

    private async Task LeadAsync(CancellationToken ct)
    {
        await using var listener = store.Storage.Database.CreateConnection();
        await listener.OpenAsync(ct);
        if (!await TryLockAsync(listener, ct))
        {
            await Task.Delay(TimeSpan.FromSeconds(1), ct); // another process publishes; stand by
            return;
        }

        var wake = new SemaphoreSlim(0, 1);
        listener.Notification += (_, _) =>
        {
            if (wake.CurrentCount == 0)
            {
                try
                {
                    wake.Release();
                }
                catch (SemaphoreFullException)
                {
                    // Already signalled: one wake covers every commit before it.
                }
            }
        };
        await using (var listen = new NpgsqlCommand("listen mt_events_appended", listener))
        {
            await listen.ExecuteNonQueryAsync(ct);
        }

        using var lead = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // The listener outlives the publishing loop on a stop, so the lock is still held while the last position is
        // recorded; it ends on its own only if its connection (and with it the lock) is lost.
        using var stopListening = new CancellationTokenSource();
        var listening = Task.Run(async () =>
        {
            try
            {
                while (!stopListening.IsCancellationRequested)
                {
                    await listener.WaitAsync(stopListening.Token);
                }
            }
            finally
            {
                lead.Cancel(); // the lock went with the connection: stop publishing
            }
        }, CancellationToken.None);

        try
        {
            await using var work = store.Storage.Database.CreateConnection();
            await work.OpenAsync(lead.Token);
            var horizon = new SequenceHorizon(_schema, logger);
            var position = await PositionAsync(work, lead.Token);
            var recorded = position;
            logger.LogInformation("Kafka bridge leading from sequence {Position}.", position);
            try
            {
                while (!lead.Token.IsCancellationRequested)
                {
                    // The position published so far is recorded by the next read, in its transaction: no round trip of
                    // its own per page.
                    var record = position > recorded ? position : (long?)null;
                    var page = await ReadPageAsync(work, position, long.MaxValue, record, lead.Token);
                    recorded = record ?? recorded;
                    var gapless = GaplessCount(position, page);
                    var more = gapless < page.Count;
                    if (gapless > 0)
                    {
                        page.RemoveRange(gapless, page.Count - gapless); // the rest waits until the gap is understood
                    }
                    else if (page.Count > 0)
                    {
                        // The next number is not visible: drawn by a transaction still open, or abandoned for good. Only
                        // the horizon tells which; past it, a missing number can no longer appear.
                        var final = await horizon.FinalSequenceAsync(work, lead.Token);
                        page = await ReadPageAsync(work, position, final, null, lead.Token);
                        more = page.Count > 0; // events committed past the horizon meanwhile are read next, without waiting
                    }

                    if (page.Count > 0)
                    {
                        await _retry.ExecuteAsync(async token => await PublishAsync(page, token), lead.Token);
                        position = page[^1].Sequence;
                        var now = DateTimeOffset.UtcNow;
                        foreach (var e in page)
                        {
                            Lag.Record((now - e.Timestamp).TotalMilliseconds);
                        }

                        Published.Add(page.Count);
                    }

                    if (page.Count < PageSize && !more)
                    {
                        await wake.WaitAsync(IdlePoll, lead.Token);
                    }
                }
            }
            finally
            {
                // A stop hands over exactly: the next leader starts after the last page Kafka acknowledged. Only while
                // the lock is still ours (the listener still up): a lost lead may already have a successor.
                if (position > recorded && !listening.IsCompleted)
                {
                    await RecordOnStopAsync(work, position);
                }
            }
        }
        catch (OperationCanceledException) when (lead.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            await listening; // surfaces why the listener stopped (ExecuteAsync retries)
        }
        finally
        {
            lead.Cancel();
            await stopListening.CancelAsync();
            await listening.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// How many of the page's events, from its start, follow <paramref name="position"/> without a gap. Those are
    /// safe to publish at once: each is committed, and every number between the position and the last of them belongs
    /// to one of them, so no event can still appear among them.
    /// </summary>
    private static int GaplessCount(long position, List<StoredEvent> page)
    {
        var count = 0;
        while (count < page.Count && page[count].Sequence == position + count + 1)
        {
            count++;
        }

        return count;
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"select pg_try_advisory_lock({LeaderLockKey})", connection);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<long> PositionAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"select last_seq_id from {_schema}.mt_event_progression where name = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ProgressName });
        return await command.ExecuteScalarAsync(ct) is long seq ? seq : 0;
    }

    /// <summary>
    /// The position is recorded without waiting for the WAL flush (<c>synchronous_commit = off</c>, for its transaction
    /// only). A position lost in a PostgreSQL crash is an older position, from which the bridge publishes some events
    /// again — the at-least-once every consumer already deduplicates by event id — never a skipped event. Waiting for
    /// the flush cost each wake a disk sync (~115 a second at 200 payments/s, measured with pg_stat_statements:
    /// ops/bench/README.md, "WAL and checkpoints"). It never moves back: a leader that lost its lock cannot undo a
    /// successor's progress.
    /// </summary>
    private NpgsqlBatchCommand RecordPosition(long position) => new(
        $"insert into {_schema}.mt_event_progression (name, last_seq_id, last_updated) values ($1, $2, transaction_timestamp()) " +
        $"on conflict (name) do update set last_seq_id = greatest({_schema}.mt_event_progression.last_seq_id, excluded.last_seq_id), last_updated = excluded.last_updated")
    {
        Parameters = { new NpgsqlParameter { Value = ProgressName }, new NpgsqlParameter { Value = position } },
    };

    /// <summary>The plan settings, and no wait for the WAL flush: the first statement of a transaction that records.</summary>
    private static readonly string RecordingSettings = PlanSettings.GenericIndexPlans + ", set_config('synchronous_commit', 'off', true)";

    /// <summary>On a stop, records what the last read did not. Best effort: a position not recorded is an older one, from
    /// which the next leader republishes (consumers deduplicate).</summary>
    private async Task RecordOnStopAsync(NpgsqlConnection connection, long position)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands = { new NpgsqlBatchCommand(RecordingSettings), RecordPosition(position) },
            };
            await batch.ExecuteNonQueryAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or InvalidOperationException or TimeoutException)
        {
            logger.LogWarning(ex, "The Kafka bridge stopped without recording sequence {Position}; the next leader republishes from the last recorded one.", position);
        }
    }

    /// <summary>A page of committed events after <c>$1</c>, up to <c>$2</c>, stored JSON as text.</summary>
    public static string PageSql(string schema) =>
        $"select seq_id, id, stream_id, version, type, timestamp, data::text from {schema}.mt_events " +
        $"where seq_id > $1 and seq_id <= $2 order by seq_id limit {PageSize}";

    private sealed record StoredEvent(long Sequence, Guid Id, string StreamId, long Version, string Type, DateTimeOffset Timestamp, string Data);

    /// <summary>The events after <paramref name="after"/> up to <paramref name="final"/>; with <paramref name="record"/>,
    /// the position is recorded in the same round trip and transaction.</summary>
    private async Task<List<StoredEvent>> ReadPageAsync(NpgsqlConnection connection, long after, long final, long? record, CancellationToken ct)
    {
        // One implicit transaction: the plan settings hold for the read (and the record), and go with it (PlanSettings).
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(record is null ? PlanSettings.GenericIndexPlans : RecordingSettings),
                new NpgsqlBatchCommand(PageSql(_schema))
                {
                    Parameters = { new NpgsqlParameter { Value = after }, new NpgsqlParameter { Value = final } },
                },
            },
        };
        if (record is { } position)
        {
            batch.BatchCommands.Add(RecordPosition(position)); // after the read: its result is the second
        }

        var page = new List<StoredEvent>();
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            page.Add(new StoredEvent(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6)));
        }

        while (await reader.NextResultAsync(ct))
        {
            // the record, if any: its failure surfaces here, not at disposal
        }

        return page;
    }

    /// <summary>Produces every message and waits for every acknowledgement; any failure fails the page (retried whole).</summary>
    private async Task PublishAsync(List<StoredEvent> page, CancellationToken ct)
    {
        var producer = kafka.Producer;
        var topic = kafka.Settings.EventsTopic;
        var pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var remaining = page.Count;
        Error? failure = null;
        var publishedAt = DateTimeOffset.UtcNow;
        foreach (var e in page)
        {
            var message = new Message<string, byte[]>
            {
                Key = e.StreamId,
                Value = EventEnvelope.Write(e.Id, e.Sequence, e.StreamId, e.Version, e.Type, e.Timestamp, e.Data, publishedAt),
                Headers = new Headers { { EventEnvelope.TypeHeaderName, System.Text.Encoding.UTF8.GetBytes(e.Type) } },
            };
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
