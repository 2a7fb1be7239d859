using System.Collections.Immutable;
using Ledger.Domain.Accounts;
using Ledger.Domain.Fx;
using Ledger.Domain.Ledger;
using Ledger.Projections.Money;

namespace Ledger.CommandApi.Engine;

/// <summary>What a batch read before deciding: payees of other shards, payments continued from another shard, and
/// stored idempotency answers.</summary>
internal sealed record Preloaded(
    Dictionary<string, AccountState> Payees,
    Dictionary<string, PaymentRecord> Payments,
    Dictionary<string, (string Hash, EngineOutcome Outcome)> StoredResponses,
    Dictionary<string, FxQuote> Quotes,
    Dictionary<string, DisputeRecord> Disputes,
    Dictionary<string, PendingReturn> Returns);

internal sealed partial class ShardWriter
{
    /// <summary>One round trip for what the batch needs and memory lacks: accounts of this shard seen for the first
    /// time (lazily loaded: a restarted writer rebuilds its state from the store as commands arrive), payees in other
    /// shards, payments continued from another shard, and stored idempotency records this writer has not answered itself.</summary>
    private async Task<Preloaded> PreloadAsync(List<EngineCommand> batch, bool lookUpKeys, CancellationToken ct)
    {
        var local = new HashSet<string>(StringComparer.Ordinal);
        var remote = new HashSet<string>(StringComparer.Ordinal);
        var payments = new HashSet<string>(StringComparer.Ordinal);
        var quotes = new HashSet<string>(StringComparer.Ordinal);
        var disputes = new HashSet<string>(StringComparer.Ordinal);
        var returns = new HashSet<string>(StringComparer.Ordinal);
        foreach (var command in batch)
        {
            switch (command)
            {
                case DepositCommand d: local.Add(d.Deposit.AccountId); break;
                case WithdrawCommand w: local.Add(w.Withdraw.AccountId); break;
                case PayCommand p:
                    local.Add(p.Pay.PayerAccountId);
                    (_engine.ShardOf(p.Pay.PayeeAccountId) == Shard ? local : remote).Add(p.Pay.PayeeAccountId);
                    if (p.Pay.QuoteId is { } quoteId)
                    {
                        quotes.Add(quoteId);
                    }

                    break;
                case ConvertCommand v: local.Add(v.Convert.AccountId); quotes.Add(v.Convert.QuoteId); break;
                case ProtectionCommand pc:
                    local.Add(pc.PayeeAccountId);
                    if (_engine.ShardOf(pc.PayerAccountId) == Shard)
                    {
                        local.Add(pc.PayerAccountId);
                    }

                    payments.Add(pc.PaymentId);
                    if (pc is ResolveDisputeCommand rd)
                    {
                        disputes.Add(rd.DisputeId);
                    }

                    break;
                case ReturnCommand rc: local.Add(rc.Funds.AccountId); returns.Add(rc.Funds.StreamId); break;
                case CreditCommand c: local.Add(c.Credit.PayeeAccountId); payments.Add(c.Credit.PaymentId); break;
                case ReverseCommand r: local.Add(r.Reverse.PayerAccountId); payments.Add(r.Reverse.PaymentId); break;
                case VerdictCommand v:
                    local.Add(v.PayerAccountId);
                    if (!_awaitingVerdict.ContainsKey(v.PaymentId))
                    {
                        payments.Add(v.PaymentId); // not one we hold: decided already, or reserved before a restart
                    }

                    break;
                case ReviewCommand rv: local.Add(rv.PayerAccountId); payments.Add(rv.Review.PaymentId); break;
            }
        }

        // Look up the batch's few accounts in memory, not the other way round: ExceptWith(_accounts.Keys) walked and
        // hashed every account the writer holds, on every batch (perf at 1,000 payments/s with 20,000 accounts: 9% of
        // all samples of CommandApi and FraudPipeline together, the largest single function).
        local.RemoveWhere(_accounts.ContainsKey);
        var payees = new Dictionary<string, AccountState>(StringComparer.Ordinal);
        var loadedPayments = new Dictionary<string, PaymentRecord>(StringComparer.Ordinal);
        var loadedQuotes = new Dictionary<string, FxQuote>(StringComparer.Ordinal);
        var loadedDisputes = new Dictionary<string, DisputeRecord>(StringComparer.Ordinal);
        var loadedReturns = new Dictionary<string, PendingReturn>(StringComparer.Ordinal);
        if (local.Count > 0 || remote.Count > 0 || payments.Count > 0 || quotes.Count > 0 || disputes.Count > 0 || returns.Count > 0)
        {
            await using var session = _store.QuerySession();
            var query = session.CreateBatchQuery();
            // Only the look-ups this batch needs: an empty one is still a statement for PostgreSQL to run.
            var states = Load<AccountState>(query, [.. local, .. remote]);
            var balances = Load<AccountBalances>(query, [.. local]);
            var paymentDocs = Load<PaymentRecord>(query, [.. payments]);
            var quoteDocs = Load<FxQuote>(query, [.. quotes]);
            var disputeDocs = Load<DisputeRecord>(query, [.. disputes]);
            var returnDocs = Load<PendingReturn>(query, [.. returns]);
            await query.Execute(ct);
            var balanceById = (await balances).ToDictionary(b => b.Id, StringComparer.Ordinal);
            foreach (var state in await states)
            {
                if (local.Contains(state.Id))
                {
                    Remember(state, balanceById.GetValueOrDefault(state.Id));
                }
                else
                {
                    payees[state.Id] = state;
                }
            }

            foreach (var payment in await paymentDocs)
            {
                loadedPayments[payment.Id] = payment;
            }

            foreach (var quote in await quoteDocs)
            {
                loadedQuotes[quote.Id] = quote;
            }

            foreach (var dispute in await disputeDocs)
            {
                loadedDisputes[dispute.Id] = dispute;
            }

            foreach (var pending in await returnDocs)
            {
                loadedReturns[pending.Id] = pending;
            }
        }

        var stored = new Dictionary<string, (string Hash, EngineOutcome Outcome)>(StringComparer.Ordinal);
        // Keys this writer has not answered itself may have been answered before a restart or by another writer. They
        // are read only when the batch's optimistic claim collided with a live record (lookUpKeys): one lookup for
        // the whole batch, and none per request in the API.
        var tickets = lookUpKeys ? batch.Select(c => c.Idempotency?.RecordId).OfType<string>().Where(id => !_recent.TryGet(id, out _)).ToArray() : [];
        if (tickets.Length > 0)
        {
            foreach (var record in await IdempotencyStore.FindAsync(_store, tickets, ct))
            {
                stored[record.Id] = (record.RequestHash, new EngineOutcome(null, record.StatusCode, record.Location, record.Body, null));
            }
        }

        return new Preloaded(payees, loadedPayments, stored, loadedQuotes, loadedDisputes, loadedReturns);
    }

    private static Task<IReadOnlyList<T>> Load<T>(Marten.Services.BatchQuerying.IBatchedQuery query, string[] ids)
        where T : class =>
        ids.Length == 0 ? Task.FromResult<IReadOnlyList<T>>([]) : query.LoadMany<T>().ById(ids);

    private async Task EnsureLoadedAsync(IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        var missing = ids.Where(id => !_accounts.ContainsKey(id)).ToArray();
        if (missing.Length == 0)
        {
            return;
        }

        await using var session = _store.QuerySession();
        var states = await session.LoadManyAsync<AccountState>(ct, missing);
        var balances = (await session.LoadManyAsync<AccountBalances>(ct, missing)).ToDictionary(b => b.Id, StringComparer.Ordinal);
        foreach (var state in states)
        {
            Remember(state, balances.GetValueOrDefault(state.Id));
        }
    }

    /// <summary>An account as the store holds it: status and owner from its stream, money from its balances.</summary>
    private void Remember(AccountState state, AccountBalances? balances)
    {
        _accounts[state.Id] = new AccountFunds(
            state.Id,
            state.Owner,
            state.Status,
            (balances?.Balances ?? []).ToImmutableDictionary(StringComparer.Ordinal),
            balances?.Velocity ?? Velocity.None,
            balances?.EntryCount ?? 0)
        {
            Owed = (balances?.Owed ?? []).ToImmutableDictionary(StringComparer.Ordinal),
            CreatedAt = state.CreatedAt,
        };
        _revisions[state.Id] = balances?.Revision ?? 0;
    }
}
