namespace Ledger.CommandApi.Engine;

/// <summary>
/// Payments whose funds are reserved and that wait for the fraud pipeline's verdict, ordered by deadline. The shard
/// writers add them after each commit (and after a restart, from the store) and settle them when a commit decides
/// them; the sweeper takes out the overdue ones that are still unsettled. A settled payment stays in the queue until
/// its deadline and is then skipped: cheaper than removing it from the heap. Sending every payment to its shard at the
/// deadline, decided or not, made a third of the engine's commands no-op verdicts, each reading its payment from the
/// store (measured at 1,000 payments/s: ops/bench/README.md). A payment decided by another process is not settled
/// here; its verdict at the deadline is a no-op the writer recognises, as before.
/// </summary>
public sealed class VerdictDeadlines(TimeSpan deadline)
{
    private readonly PriorityQueue<(string PaymentId, string PayerAccountId), DateTimeOffset> _queue = new();
    private readonly HashSet<string> _waiting = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public TimeSpan Deadline => deadline;

    public void Watch(string paymentId, string payerAccountId, DateTimeOffset createdAt)
    {
        lock (_lock)
        {
            if (_waiting.Add(paymentId))
            {
                _queue.Enqueue((paymentId, payerAccountId), createdAt + deadline);
            }
        }
    }

    /// <summary>The payment was decided: no deadline verdict for it.</summary>
    public void Settle(string paymentId)
    {
        lock (_lock)
        {
            _waiting.Remove(paymentId);
        }
    }

    /// <summary>Whether the payment still waits here for its verdict (a deadline verdict would be sent for it).</summary>
    public bool IsWaiting(string paymentId)
    {
        lock (_lock)
        {
            return _waiting.Contains(paymentId);
        }
    }

    /// <summary>Removes and returns every unsettled payment whose deadline is at or before <paramref name="now"/>.</summary>
    public List<(string PaymentId, string PayerAccountId)> TakeDue(DateTimeOffset now)
    {
        var due = new List<(string, string)>();
        lock (_lock)
        {
            while (_queue.TryPeek(out var item, out var at) && at <= now)
            {
                _queue.Dequeue();
                if (_waiting.Remove(item.PaymentId))
                {
                    due.Add(item);
                }
            }
        }

        return due;
    }
}

/// <summary>
/// SPEC/issue 6: "a payment never waits more than a configurable deadline (default 2 s) for a verdict: past it, the
/// fallback rules decide." Ticks on the engine's <see cref="TimeProvider"/> (tests drive it with a fake clock) and
/// hands each overdue payment to its shard as a rules verdict.
/// </summary>
public sealed class VerdictDeadlineSweeper(LedgerEngine engine, ILogger<VerdictDeadlineSweeper> logger) : BackgroundService
{
    /// <summary>How often overdue payments are looked for: a tenth of the deadline, at most every 250 ms.</summary>
    private TimeSpan Tick => TimeSpan.FromMilliseconds(Math.Clamp(engine.Verdicts.Deadline.TotalMilliseconds / 10, 10, 250));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!engine.PipelineDecides)
        {
            return;
        }

        using var timer = new PeriodicTimer(Tick, engine.Clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var due = engine.Deadlines.TakeDue(engine.Clock.GetUtcNow());
            foreach (var (paymentId, payer) in due)
            {
                engine.Enqueue(new VerdictCommand(paymentId, payer, decision: null));
            }

            if (due.Count > 0)
            {
                logger.LogDebug("{Count} payment(s) reached the verdict deadline; the rules decide them.", due.Count);
            }
        }
    }
}
