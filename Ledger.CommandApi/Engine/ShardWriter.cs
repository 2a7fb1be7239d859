using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Projections.Money;
using Marten;
using Npgsql;

namespace Ledger.CommandApi.Engine;

/// <summary>
/// The single writer of one account shard (DESIGN "Consistency and throughput"): it holds its accounts' balances in
/// memory, decides queued commands in order, and commits each batch of decisions — events, balances, payments,
/// history, idempotency records and the shard's version check — in one PostgreSQL transaction before answering any
/// of them. A writer that lost its shard to another (a failover) meets the version check, reloads, and decides again.
/// </summary>
internal sealed partial class ShardWriter
{
    private readonly Channel<EngineCommand> _queue = Channel.CreateUnbounded<EngineCommand>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, AccountFunds> _accounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _revisions = new(StringComparer.Ordinal);
    private readonly RecentResponses _recent = new(100_000);

    /// <summary>
    /// This shard's payments waiting for their risk verdict, as committed: a verdict finds its payment here instead of
    /// reading it from the store (at 1,000 payments/s that read was a round trip in most batches). Only this shard
    /// writes a pending payment, and any doubt — a failed or fenced batch — empties it with the rest of the state.
    /// Bounded: past <see cref="AwaitingVerdictLimit"/> (a pipeline long away) verdicts read the store as before.
    /// </summary>
    private readonly Dictionary<string, PaymentRecord> _awaitingVerdict = new(StringComparer.Ordinal);

    private const int AwaitingVerdictLimit = 100_000;
    private readonly LedgerEngine _engine;
    private readonly IDocumentStore _store;
    private readonly ILogger _logger;
    private long _version;

    public ShardWriter(int shard, LedgerEngine engine, IDocumentStore store, ILogger logger)
    {
        Shard = shard;
        _engine = engine;
        _store = store;
        _logger = logger;
    }

    public int Shard { get; }

    // The shard's load, for admission control (EngineOptions.MaxQueueDelay): commands queued and not yet taken, how
    // long the last batch taken had waited, and since when the writer has been working on its current batch (0: idle).
    private int _queued;
    private long _lastWait;
    private long _busySince;

    public int Queued => Math.Max(0, Volatile.Read(ref _queued));

    public void Enqueue(EngineCommand command)
    {
        var now = Stopwatch.GetTimestamp();
        if (command.MayShed && Behind(now) is { } behind)
        {
            EngineMetrics.Shed.Add(1);
            command.Done.TrySetException(new EngineBusyException(Shard, behind));
            return;
        }

        command.QueuedAt = now;
        Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(command))
        {
            Interlocked.Decrement(ref _queued);
            command.Done.TrySetException(new InvalidOperationException("The ledger engine is stopping."));
        }
    }

    /// <summary>How far behind the shard is, when that is past <see cref="EngineOptions.MaxQueueDelay"/> with commands
    /// still waiting; null when it keeps up (or the limit is off).</summary>
    private TimeSpan? Behind(long now)
    {
        var limit = _engine.Options.MaxQueueDelay;
        if (limit <= TimeSpan.Zero || Volatile.Read(ref _queued) == 0)
        {
            return null;
        }

        var busySince = Volatile.Read(ref _busySince);
        var behind = TimeSpan.FromTicks(Math.Max(
            Stopwatch.GetElapsedTime(0, Volatile.Read(ref _lastWait)).Ticks,
            busySince == 0 ? 0 : Stopwatch.GetElapsedTime(busySince, now).Ticks));
        return behind > limit ? behind : null;
    }

    /// <summary>The writer took <paramref name="batch"/> (oldest first) and starts on it.</summary>
    private void Took(List<EngineCommand> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        Interlocked.Add(ref _queued, -batch.Count);
        Volatile.Write(ref _lastWait, now - batch[0].QueuedAt);
        Volatile.Write(ref _busySince, now);
    }

    public void Complete() => _queue.Writer.TryComplete();

    public async Task StartAsync(CancellationToken ct)
    {
        _version = await LoadVersionAsync(ct);
        await ResumeInFlightPaymentsAsync(ct);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var batch = new List<EngineCommand>(_engine.Options.MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(ct))
        {
            while (batch.Count < _engine.Options.MaxBatch && reader.TryPeek(out var next))
            {
                if (next is ExclusiveCommand && batch.Count > 0)
                {
                    break; // run it alone, after the money already taken
                }

                reader.TryRead(out next);
                batch.Add(next!);
                if (next is ExclusiveCommand)
                {
                    break;
                }
            }

            Took(batch);
            try
            {
                if (batch is [ExclusiveCommand exclusive])
                {
                    await RunExclusiveAsync(exclusive, ct);
                }
                else
                {
                    await ProcessAsync(batch, ct);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // A batch that failed fails only its own commands; state is reloaded from the store, which holds
                // exactly what was committed.
                _logger.LogError(ex, "Shard {Shard} batch of {Count} failed; its commands are refused and the shard reloads.", Shard, batch.Count);
                Forget();
                foreach (var command in batch)
                {
                    if (command is CreditCommand or ReverseCommand or ReturnCommand)
                    {
                        // The second half of a payment is owed, not requested: nobody waits for it, so it must not be
                        // dropped. It is idempotent (it checks the payment's status), so try again shortly.
                        RetryLater(command, ct);
                        continue;
                    }

                    command.Done.TrySetException(ex);
                    (command as ExclusiveCommand)?.Result.TrySetException(ex);
                }
            }

            Volatile.Write(ref _busySince, 0);
            batch.Clear();
        }
    }

    private async Task RunExclusiveAsync(ExclusiveCommand command, CancellationToken ct)
    {
        await EnsureLoadedAsync([command.AccountId], ct);
        var blockers = (_accounts.TryGetValue(command.AccountId, out var funds) ? funds.ClosureBlockers() : []).ToList();
        if (await PaymentsInFlightAsync(command.AccountId, ct) is > 0 and var inFlight)
        {
            // Money in transit is in nobody's balance, yet a refused credit comes back to the payer: not closable yet.
            blockers.Add($"{inFlight} payment(s) to or from it are still between shards");
        }

        if (await OpenDisputesAsync(command.AccountId, ct) is > 0 and var disputes)
        {
            // A chargeback could still move money to or from it.
            blockers.Add($"{disputes} dispute(s) on its payments are still open");
        }

        var fence = new ShardFence(Shard, _version);
        try
        {
            var result = await command.Run(blockers, fence);
            if (fence.Committed)
            {
                _version++;
            }

            _accounts.Remove(command.AccountId); // its status may have changed: reload on next use
            command.Result.TrySetResult(result);
        }
        catch (Exception ex) when (IsFenced(ex))
        {
            Forget();
            _version = await LoadVersionAsync(ct);
            command.Result.TrySetException(new ShardMovedException(Shard, ex));
            command.Done.TrySetException(new ShardMovedException(Shard, ex));
        }
    }

    /// <summary>How many times a fenced batch is decided again before its commands are refused (retryable 503).</summary>
    private const int FencedAttempts = 5;

    private async Task ProcessAsync(List<EngineCommand> batch, CancellationToken ct)
    {
        var lookUpKeys = false;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await DecideAndCommitAsync(batch, lookUpKeys, ct);
                return;
            }
            catch (IdempotencyKeyTakenException) when (!lookUpKeys)
            {
                // A retry this writer does not remember collided with its stored answer. Nothing was written and the
                // in-memory state is untouched (it changes only after a commit): decide again, knowing the records.
                EngineMetrics.KeyCollisions.Add(1);
                lookUpKeys = true;
                attempt--;
            }
            catch (Exception ex) when (IsFenced(ex) && attempt < FencedAttempts)
            {
                // Another writer committed to this shard since we loaded it. Nothing of ours was written: reload
                // everything and decide the same commands again against the store's truth.
                _logger.LogWarning("Shard {Shard} was written by another writer; reloading and deciding the batch again.", Shard);
                EngineMetrics.Fenced.Add(1);
                Forget();
                _version = await LoadVersionAsync(ct);
            }
        }
    }

    private void RetryLater(EngineCommand command, CancellationToken ct) =>
        _ = Task.Delay(TimeSpan.FromMilliseconds(50 + Random.Shared.Next(200)), ct)
            .ContinueWith(_ => Enqueue(command switch
                {
                    CreditCommand c => new CreditCommand(c.Credit),
                    ReturnCommand r => new ReturnCommand(r.Funds),
                    _ => new ReverseCommand(((ReverseCommand)command).Reverse),
                }),
                ct, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

    private void Forget()
    {
        _accounts.Clear();
        _revisions.Clear();
        _awaitingVerdict.Clear();
    }

    internal static bool IsFenced(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is PostgresException { SqlState: LedgerSql.FencedSqlState })
            {
                return true;
            }
        }

        return false;
    }

    private async Task<int> PaymentsInFlightAsync(string accountId, CancellationToken ct)
    {
        await using var session = _store.QuerySession();
        return await session.Query<PaymentRecord>()
            .Where(p => (p.PayerAccountId == accountId && (p.Status == PaymentStatuses.Processing || p.Status == PaymentStatuses.Reversing))
                || (p.PayeeAccountId == accountId && p.Status == PaymentStatuses.Processing))
            .CountAsync(ct);
    }

    private async Task<int> OpenDisputesAsync(string accountId, CancellationToken ct)
    {
        await using var session = _store.QuerySession();
        return await session.Query<DisputeRecord>()
            .Where(d => (d.PayerAccountId == accountId || d.PayeeAccountId == accountId) && d.Status == Domain.Protection.DisputeStatuses.Open)
            .CountAsync(ct);
    }

    private async Task<long> LoadVersionAsync(CancellationToken ct)
    {
        await using var connection = _store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        var sql = $"insert into {LedgerSql.Schema}.shard_versions (shard, version) values (@shard, 0) on conflict do nothing; select version from {LedgerSql.Schema}.shard_versions where shard = @shard";
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("shard", Shard);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>After a restart, finish what a crash interrupted: credits owed to our payees, reversals to our payers.</summary>
    private async Task ResumeInFlightPaymentsAsync(CancellationToken ct)
    {
        await using var session = _store.QuerySession();
        var shard = Shard;
        var pending = await session.Query<PaymentRecord>()
            .Where(p => (p.Status == PaymentStatuses.Processing && p.PayeeShard == shard) || (p.Status == PaymentStatuses.Reversing && p.PayerShard == shard))
            .ToListAsync(ct);
        var now = _engine.Clock.GetUtcNow();
        // Money given back to our payers by another shard (refunds, chargebacks) that a crash left in transit.
        var returns = await session.Query<PendingReturn>().Where(r => !r.Done && r.PayerShard == shard).ToListAsync(ct);
        foreach (var r in returns)
        {
            Enqueue(new ReturnCommand(new Domain.Protection.ReturnFunds(r.Id, r.PaymentId, r.AccountId, new(r.Amount, r.Currency), r.Kind, now)));
        }

        // Payments still waiting for a risk verdict: their deadline runs from when they began, so a verdict lost in a
        // crash is decided by the rules at once.
        foreach (var p in await session.Query<PaymentRecord>().Where(p => p.Status == PaymentStatuses.Pending && p.PayerShard == shard).ToListAsync(ct))
        {
            _engine.Deadlines.Watch(p.Id, p.PayerAccountId, p.CreatedAt);
        }

        foreach (var p in pending)
        {
            Enqueue(p.Status == PaymentStatuses.Processing
                ? new CreditCommand(new CreditPayee(p.Id, p.PayeeAccountId, new(p.SettledAmount, p.SettledCurrency), now))
                : new ReverseCommand(new ReversePayment(p.Id, p.PayerAccountId, new(p.Amount, p.Currency), "the payee account is not active", now, PaymentRecords.Conversion(p))));
        }
    }

    internal static JsonSerializerOptions Json => ServiceDefaults.HostingDefaults.ResponseJson;
}

/// <summary>Raised to callers when another writer took the shard mid-command; safe to retry.</summary>
public sealed class ShardMovedException(int shard, Exception inner)
    : Exception($"Ledger shard {shard} was written by another writer; retry.", inner);

/// <summary>Responses this shard committed recently, by idempotency record id: a retry racing its original gets
/// the original's answer without a database read.</summary>
internal sealed class RecentResponses(int capacity)
{
    private readonly Dictionary<string, (string Hash, EngineOutcome Outcome)> _byId = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public bool TryGet(string id, out (string Hash, EngineOutcome Outcome) entry) => _byId.TryGetValue(id, out entry);

    public void Add(string id, string hash, EngineOutcome outcome)
    {
        if (_byId.TryAdd(id, (hash, outcome)))
        {
            _order.Enqueue(id);
            while (_order.Count > capacity)
            {
                _byId.Remove(_order.Dequeue());
            }
        }
    }
}
