using Ledger.CommandApi.Engine;
using Ledger.Domain.Common;
using Ledger.Domain.Protection;
using Ledger.Projections.Money;
using Marten;

namespace Ledger.CommandApi.Protection;

/// <summary>
/// Ends risk holds whose period has passed: every <c>Protection:HoldSweepSeconds</c> (default 60) it finds held
/// payments with <c>heldUntil</c> at or before now (by the injected <see cref="TimeProvider"/>) and asks each payee's
/// shard writer to release them, acting as support. State lives in the store, so holds due while the process was down
/// are released by the first sweep after a restart; a release already done is refused (payment_not_held) and skipped.
/// </summary>
public sealed class HoldExpiry(LedgerEngine engine, IDocumentStore store, TimeProvider clock, IConfiguration configuration, ILogger<HoldExpiry> logger)
    : BackgroundService
{
    public static readonly Actor Expiry = new("system:hold-expiry", new HashSet<Role> { Role.Support });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(configuration.GetValue<double?>("Protection:HoldSweepSeconds") ?? 60);
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Risk-hold sweep failed; the next one tries again.");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One sweep: returns how many holds it released.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        List<PaymentRecord> due;
        await using (var session = store.QuerySession())
        {
            due = [.. await session.Query<PaymentRecord>().Where(p => p.Hold == PaymentHolds.Held && p.HeldUntil <= now).Take(1_000).ToListAsync(ct)];
        }

        var outcomes = await Task.WhenAll(due.Select(p => engine.SubmitAsync(
            new ReleaseHoldCommand(p.Id, p.PayerAccountId, p.PayeeAccountId, new ReleaseHold("expiry", Expiry, now)))));
        var released = outcomes.Count(o => o.Error is null);
        if (released > 0)
        {
            logger.LogInformation("Released {Count} risk hold(s) whose period ended.", released);
        }

        return released;
    }
}
