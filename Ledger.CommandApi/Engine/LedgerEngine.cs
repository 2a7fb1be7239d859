using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Ledger.Domain.Payments;
using Ledger.Projections.Money;
using Marten;

namespace Ledger.CommandApi.Engine;

/// <summary>Section <c>Engine</c>.</summary>
public sealed class EngineOptions
{
    /// <summary>How many single writers split the accounts between them. Default 1 for one node on a small machine:
    /// with set-based commits, measured on 2 cores at 32 clients via the gateway (ops/bench, 2026-11-25), 1 shard gave
    /// ~2,400 payments/s and 2 shards ~2,050 — a second shard halves batch sizes and sends half of all payments through
    /// transit (two commits instead of one). More shards pay when they are spread over nodes or cores that PostgreSQL
    /// is not also using. Changing it moves accounts between shards: do it with the engine stopped (every shard's
    /// in-flight payments are resumed from the store at start). The test suite runs with 4.</summary>
    public int Shards { get; set; } = 1;

    /// <summary>Most commands decided and committed in one transaction (group commit).</summary>
    public int MaxBatch { get; set; } = 512;

    /// <summary>
    /// Admission control: when a shard is this far behind — the last batch it took had waited longer than this in its
    /// queue, or the batch it is working on has taken longer than this — while commands are still queued, it refuses
    /// new money movement (payments, deposits, withdrawals, conversions, refunds, disputes: <see cref="EngineCommand.MayShed"/>)
    /// with 503 <c>try_again</c> and Retry-After, until it catches up. Without it an offered load above what the
    /// machine commits queues without bound: measured at 1,000 payments/s on a host committing ~500/s, POST p50
    /// 21 s and every payment past its verdict deadline (ops/bench/README.md, "Night of 2026-12-03"). Everything
    /// already queued is still decided. Zero turns it off. One second: a payment waiting longer than that merely to
    /// be decided is better refused at once, so the caller can back off and retry.
    /// </summary>
    public TimeSpan MaxQueueDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long idempotency records are kept (SPEC: at least 24 h).</summary>
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(48);
}

/// <summary>
/// Section <c>Risk</c> (with the rules' limits, see RiskSettings): who decides payment risk. <c>Decider</c> =
/// <c>pipeline</c> (default; the fraud pipeline's verdict, SPEC "Fraud") or <c>rules</c> (the synchronous rules
/// checker decides in the same batch as the reserve — what issue 3 shipped, kept for hosts without a pipeline and for
/// tests about money rather than fraud). <c>VerdictDeadline</c>: how long a payment waits for the pipeline's verdict
/// before the rules decide it (default 2 s).
/// </summary>
public sealed class VerdictOptions
{
    public const string Pipeline = "pipeline";
    public const string Rules = "rules";

    public string Decider { get; set; } = Pipeline;
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(2);

    public static VerdictOptions Read(IConfiguration configuration)
    {
        var options = new VerdictOptions
        {
            Decider = configuration["Risk:Decider"] ?? Pipeline,
            Deadline = configuration.GetValue<TimeSpan?>("Risk:VerdictDeadline") ?? TimeSpan.FromSeconds(2),
        };
        if (options.Decider is not (Pipeline or Rules))
        {
            throw new InvalidOperationException($"Risk:Decider must be '{Pipeline}' or '{Rules}' (got '{options.Decider}').");
        }

        if (options.Deadline <= TimeSpan.Zero)
        {
            throw new InvalidOperationException("Risk:VerdictDeadline must be positive.");
        }

        return options;
    }
}

/// <summary>
/// The ledger engine: routes each command to the single writer of its account's shard and hands cross-shard
/// follow-ups (credits, reversals) from one writer to another after the first has committed.
/// </summary>
public sealed class LedgerEngine : IHostedService, IAsyncDisposable
{
    private readonly IDocumentStore _store;
    private readonly ILogger<LedgerEngine> _logger;
    private ShardWriter[] _shards = [];
    private Task[] _runs = [];
    private CancellationTokenSource _stopping = new();

    public LedgerEngine(IDocumentStore store, EngineOptions options, IRiskAssessor risk, TimeProvider clock, PaymentWaiters waiters, ILogger<LedgerEngine> logger,
        VerdictOptions verdicts, Domain.Protection.ProtectionPolicy? protection = null)
    {
        if (options.Shards < 1 || options.MaxBatch < 1)
        {
            throw new ArgumentException("Engine:Shards and Engine:MaxBatch must be at least 1.", nameof(options));
        }

        _store = store;
        Options = options;
        Risk = risk;
        Clock = clock;
        Waiters = waiters;
        _logger = logger;
        Tables = new LedgerTables(store);
        Protection = protection ?? Domain.Protection.ProtectionPolicy.Default;
        Verdicts = verdicts;
        Deadlines = new VerdictDeadlines(Verdicts.Deadline);
    }

    public EngineOptions Options { get; }
    public IRiskAssessor Risk { get; }
    public TimeProvider Clock { get; }
    public PaymentWaiters Waiters { get; }
    public LedgerTables Tables { get; }
    public Domain.Protection.ProtectionPolicy Protection { get; }
    public VerdictOptions Verdicts { get; }

    /// <summary>True when payments wait at their reserve for the fraud pipeline's verdict.</summary>
    public bool PipelineDecides => Verdicts.Decider == VerdictOptions.Pipeline;

    /// <summary>Payments waiting for a verdict, by deadline (see <see cref="VerdictDeadlineSweeper"/>).</summary>
    public VerdictDeadlines Deadlines { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The shard_versions table is created with the store's schema (AddLedgerStore), which starts before us.
        _stopping = new CancellationTokenSource();
        _shards = Enumerable.Range(0, Options.Shards).Select(i => new ShardWriter(i, this, _store, _logger)).ToArray();
        foreach (var shard in _shards)
        {
            await shard.StartAsync(cancellationToken);
        }

        _runs = _shards.Select(s => Task.Run(() => s.RunAsync(_stopping.Token))).ToArray();
        _logger.LogInformation("Ledger engine started with {Shards} shards.", Options.Shards);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var shard in _shards)
        {
            shard.Complete();
        }

        // Let queued commands finish; a stop that is cut short cancels the rest, which were never acknowledged.
        var all = Task.WhenAll(_runs);
        if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken)) != all)
        {
            await _stopping.CancelAsync();
        }

        try
        {
            await all;
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _stopping.Dispose();
    }

    /// <summary>FNV-1a over the id: stable across processes and restarts (string.GetHashCode is not).</summary>
    public int ShardOf(string accountId)
    {
        uint hash = 2166136261;
        foreach (var c in accountId)
        {
            hash = (hash ^ c) * 16777619;
        }

        return (int)(hash % (uint)Options.Shards);
    }

    /// <summary>Commands queued in the account's shard and not yet taken by its writer.</summary>
    public int QueuedFor(string accountId) => _shards[ShardOf(accountId)].Queued;

    public void Enqueue(EngineCommand command) => _shards[ShardOf(command.RoutingAccount)].Enqueue(command);

    public Task<EngineOutcome> SubmitAsync(EngineCommand command)
    {
        Enqueue(command);
        return command.Done.Task;
    }

    /// <summary>Runs <paramref name="run"/> alone in the account's shard: nothing moves money on any account of that
    /// shard meanwhile, so the closure blockers it is given stay true until it commits.</summary>
    public async Task<T> RunExclusiveAsync<T>(string accountId, Func<IReadOnlyList<string>, ShardFence, Task<T>> run)
    {
        var command = new ExclusiveCommand(accountId, async (blockers, fence) => await run(blockers, fence));
        Enqueue(command);
        return (T)(await command.Result.Task)!;
    }
}

/// <summary>The engine's meters (System.Diagnostics.Metrics, meter "Ledger.Engine"): watch them with dotnet-counters or
/// export them with OpenTelemetry.</summary>
public static class EngineMetrics
{
    public static readonly Meter Meter = new("Ledger.Engine");
    public static readonly Counter<long> Batches = Meter.CreateCounter<long>("ledger.engine.batches", description: "Committed batches");
    public static readonly Counter<long> Commands = Meter.CreateCounter<long>("ledger.engine.commands", description: "Commands decided");
    public static readonly Histogram<double> CommitMilliseconds = Meter.CreateHistogram<double>("ledger.engine.commit.duration", "ms", "Time to commit one batch");
    public static readonly Counter<long> KeyCollisions = Meter.CreateCounter<long>("ledger.engine.key_collisions", description: "Batches decided again because an idempotency key they claimed had a stored answer");
    public static readonly Counter<long> Shed = Meter.CreateCounter<long>("ledger.engine.shed", description: "Commands refused at the door because their shard was behind (Engine:MaxQueueDelay)");
    public static readonly Counter<long> Fenced = Meter.CreateCounter<long>("ledger.engine.fenced", description: "Batches refused because another writer had written the shard");
}

/// <summary>Lets <c>Prefer: wait</c> callers sleep until a payment reaches a final status (or in_review).</summary>
public sealed class PaymentWaiters
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<PaymentRecord>> _waiting = new(StringComparer.Ordinal);

    public Task<PaymentRecord> Register(string paymentId) =>
        _waiting.GetOrAdd(paymentId, _ => new TaskCompletionSource<PaymentRecord>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Forget(string paymentId) => _waiting.TryRemove(paymentId, out _);

    public void Notify(PaymentRecord payment)
    {
        if (_waiting.TryRemove(payment.Id, out var waiter))
        {
            waiter.TrySetResult(payment);
        }
    }
}
