using Ledger.Domain.Accounts;
using Ledger.Projections.Accounts;
using Ledger.Projections.Money;
using Ledger.Projections.Privacy;
using Ledger.Projections.Store;
using Marten;
using Microsoft.Extensions.Caching.Memory;

namespace Ledger.QueryApi.Accounts;

/// <summary>
/// The seed's user cache: decrypted account views held in process, keyed by account and a stamp of its stream version
/// and balances revision. Every account event bumps the one, every commit that moves its money the other, so an entry
/// is invalidated by the account's own events the moment they commit — on every node, with read-your-writes, and without a message bus. A hit costs one primary-key lookup
/// of the version instead of loading the snapshot and the person's key and decrypting.
/// Why not LISTEN/NOTIFY eviction: a notification lands after the commit, so a GET right after a PATCH could still
/// see the old view; the version check cannot.
/// </summary>
public sealed class AccountViewCache(IMemoryCache cache, PiiProtector pii)
{
    // The account's stream version and its balances' revision: any event on the account, or any money it moves, changes one.
    private static readonly string VersionSql =
        $"select s.version * 1000000000 + coalesce((select (b.data ->> 'revision')::bigint from {LedgerStore.Schema}.mt_doc_accountbalances b where b.id = s.id), 0) from {LedgerStore.Schema}.mt_streams s where s.id = ?";

    private sealed record Entry(AccountState State, AccountView View, long Stamp);

    /// <summary>The state (for ownership checks) and its rendered view, or null when no such stream exists.</summary>
    public async Task<(AccountState State, AccountView View)?> GetAsync(IQuerySession session, string id, CancellationToken ct)
    {
        var versions = await session.QueryAsync<long>(VersionSql, ct, id);
        if (versions.Count == 0)
        {
            return null;
        }

        var stamp = versions[0];
        if (cache.TryGetValue(id, out Entry? hit) && hit!.Stamp == stamp)
        {
            return (hit.State, hit.View);
        }

        var batch = session.CreateBatchQuery();
        var stateTask = batch.Load<AccountState>(id);
        var keyTask = batch.Load<PersonKey>(id);
        var balancesTask = batch.Load<AccountBalances>(id);
        await batch.Execute(ct);
        var state = await stateTask;
        if (state is null)
        {
            return null;
        }

        var key = await keyTask;
        var view = AccountViews.Render(state, key is null ? null : pii.Unwrap(key), MoneyViews.Render(await balancesTask));
        cache.Set(id, new Entry(state, view, stamp), new MemoryCacheEntryOptions
        {
            Size = 1,
            SlidingExpiration = TimeSpan.FromMinutes(10),
        });
        return (state, view);
    }
}
