namespace Ledger.CommandApi.Engine;

/// <summary>
/// The writer's loop, pipelined two deep: while batch N commits, batch N+1 is read, decided against N's staged
/// state and sent. N+1's transaction starts with the shard fence, so PostgreSQL holds it on the shard row until N
/// commits — and refuses it if N rolled back. Nothing is acknowledged before its own commit. Measured in
/// ops/bench/README.md: the writer was waiting on round trips (PostgreSQL and CommandApi both below a core each).
/// </summary>
internal sealed partial class ShardWriter
{
    private sealed record InFlight(List<EngineCommand> Batch, BatchWork Work, Task Commit);

    public async Task RunAsync(CancellationToken ct)
    {
        var reader = _queue.Reader;
        InFlight? pending = null;
        while (true)
        {
            if (pending is not null && !reader.TryPeek(out _))
            {
                // Nothing else to overlap with: finish the one in flight now rather than when the next command comes.
                await FinishAsync(pending, null, ct);
                pending = null;
            }

            if (!await reader.WaitToReadAsync(ct))
            {
                break;
            }

            var batch = TakeBatch(reader);
            if (batch is [ExclusiveCommand exclusive])
            {
                if (pending is not null)
                {
                    await FinishAsync(pending, null, ct);
                    pending = null;
                }

                await GuardAsync(batch, () => RunExclusiveAsync(exclusive, ct), ct);
                continue;
            }

            InFlight next;
            try
            {
                var work = await DecideAsync(batch, pending?.Work, ct);
                var (expected, position) = Stage(work);
                next = new InFlight(batch, work, work.HasWrites ? CommitAsync(work, expected, position, ct) : Task.CompletedTask);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                // Reading or deciding failed (e.g. the database is away): settle the batch in flight, then refuse this one.
                if (pending is not null)
                {
                    await FinishAsync(pending, null, ct);
                    pending = null;
                }

                Fail(batch, ex, ct);
                continue;
            }

            pending = pending is null ? next : await FinishAsync(pending, next, ct);
        }

        if (pending is not null)
        {
            await FinishAsync(pending, null, ct);
        }
    }

    private List<EngineCommand> TakeBatch(System.Threading.Channels.ChannelReader<EngineCommand> reader)
    {
        var batch = new List<EngineCommand>();
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

        return batch;
    }

    /// <summary>
    /// Waits for <paramref name="done"/>'s commit and answers its commands. Returns the batch behind it still in
    /// flight, or null when that one had to be settled here: if <paramref name="done"/> failed, the one behind was
    /// decided on state that never reached the store, so it is settled (it cannot have committed unless
    /// <paramref name="done"/> did after all, its outcome having been lost) and, if refused, decided again on its own.
    /// </summary>
    private async Task<InFlight?> FinishAsync(InFlight done, InFlight? behind, CancellationToken ct)
    {
        Exception? failure = null;
        try
        {
            await done.Commit;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            failure = ex;
        }

        if (failure is null)
        {
            Acknowledge(done.Work);
            return behind;
        }

        Exception? behindFailure = null;
        if (behind is not null)
        {
            try
            {
                await behind.Commit;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                behindFailure = ex;
            }
        }

        if (behind is { Work.HasWrites: true } && behindFailure is null)
        {
            // The fence let the one behind commit, so the first committed too and only its answer was lost: memory
            // holds both. The first's callers get a retryable refusal; a retry returns the stored answer.
            Fail(done.Batch, failure, ct);
            Acknowledge(behind.Work);
            _position = await LoadPositionAsync(ct);
            return null;
        }

        Forget();
        _position = await LoadPositionAsync(ct);
        if (IsFenced(failure))
        {
            EngineMetrics.Fenced.Add(1);
            await GuardAsync(done.Batch, () => ProcessAsync(done.Batch, ct), ct);
        }
        else
        {
            Fail(done.Batch, failure, ct);
        }

        if (behind is not null)
        {
            await GuardAsync(behind.Batch, () => ProcessAsync(behind.Batch, ct), ct);
        }

        return null;
    }

    private async Task GuardAsync(List<EngineCommand> batch, Func<Task> run, CancellationToken ct)
    {
        try
        {
            await run();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Fail(batch, ex, ct);
        }
    }
}
