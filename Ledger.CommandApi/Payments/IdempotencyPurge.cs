using Ledger.Projections.Money;
using Marten;

namespace Ledger.CommandApi.Payments;

/// <summary>Deletes idempotency records past their retention (Engine:IdempotencyRetention, 48 h by default), hourly.</summary>
public sealed class IdempotencyPurge(IDocumentStore store, TimeProvider clock, ILogger<IdempotencyPurge> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var purged = await IdempotencyStore.PurgeExpiredAsync(store, stoppingToken);
                logger.LogInformation("Purged {Count} expired idempotency records.", purged);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Purging expired idempotency records failed; will try again in an hour.");
            }
        }
    }
}
