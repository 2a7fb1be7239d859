using Ledger.Projections.Accounts;
using Marten;

namespace Ledger.Projections.Audit;

/// <summary>
/// Every read model rebuilt from the events alone (DESIGN: "everything else can be rebuilt from it, and a replay
/// must match"): the account views through Marten's own projection rebuild, the balances from the postings
/// (<see cref="BalanceReplay.RebuildAsync"/>), and the volume table from the sealed events. A maintenance operation
/// (<c>ops/ledger replay --rebuild</c>): while Marten rebuilds the account views they are briefly absent, so run it with
/// the API drained.
/// </summary>
public static class ProjectionRebuild
{
    public static async Task<ReplayReport> RebuildAllAsync(IDocumentStore store, CancellationToken ct)
    {
        using (var daemon = await store.BuildProjectionDaemonAsync())
        {
            await daemon.RebuildProjectionAsync<AccountStateProjection>(TimeSpan.FromMinutes(30), ct);
        }

        var report = await new BalanceReplay(store).RebuildAsync(ct);
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await VolumeProjection.RebuildAsync(connection, ct);
        return report;
    }
}
