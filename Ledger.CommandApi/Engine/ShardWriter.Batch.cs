using System.Collections.Immutable;
using System.Text.Json;
using Ledger.Domain.Common;
using Ledger.Domain.Fx;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Domain.Protection;
using Ledger.Projections.Money;

namespace Ledger.CommandApi.Engine;

internal sealed partial class ShardWriter
{
    /// <summary>Everything one batch will write, gathered while deciding, committed together.</summary>
    private sealed class BatchWork
    {
        public readonly Dictionary<string, AccountFunds> Staged = new(StringComparer.Ordinal);
        public readonly Dictionary<string, List<object>> NewStreams = new(StringComparer.Ordinal);
        public readonly Dictionary<string, List<object>> ExistingStreams = new(StringComparer.Ordinal);
        public readonly Dictionary<string, PaymentRecord> Payments = new(StringComparer.Ordinal);
        public readonly List<TransactionRecord> Transactions = [];
        public readonly List<LedgerEntry> Entries = [];
        public readonly List<(IdempotencyTicket Ticket, EngineOutcome Outcome)> Idempotency = [];
        public readonly List<(EngineCommand Command, EngineOutcome Outcome)> Answers = [];
        public readonly List<EngineCommand> FollowUps = [];
        public readonly HashSet<string> TicketsInBatch = new(StringComparer.Ordinal);
        /// <summary>Quotes this batch used, marked used: a second use in the same batch sees the mark.</summary>
        public readonly Dictionary<string, FxQuote> Quotes = new(StringComparer.Ordinal);
        public readonly Dictionary<string, DisputeRecord> Disputes = new(StringComparer.Ordinal);
        public readonly Dictionary<string, PendingReturn> Returns = new(StringComparer.Ordinal);
        /// <summary>What the batch moves per (account, currency), system accounts included: the point-in-time history
        /// (BalanceHistory), one row each, written with the batch.</summary>
        public readonly Dictionary<(string Account, string Currency), Balance> Movements = [];
        public bool HasWrites => NewStreams.Count > 0 || ExistingStreams.Count > 0;
    }

    /// <param name="lookUpKeys">Read the batch's idempotency records this writer does not remember before deciding;
    /// without it the batch claims its keys optimistically at commit (<see cref="LedgerCommit.ClaimKeys"/>).</param>
    private async Task DecideAndCommitAsync(List<EngineCommand> batch, bool lookUpKeys, CancellationToken ct)
    {
        var now = _engine.Clock.GetUtcNow();
        var loaded = await PreloadAsync(batch, lookUpKeys, ct);
        var work = new BatchWork();
        foreach (var command in batch)
        {
            if (command.Idempotency is { } ticket && Replayed(ticket, loaded.StoredResponses, work) is { } replay)
            {
                work.Answers.Add((command, replay));
                continue;
            }

            var outcome = command switch
            {
                DepositCommand d => Apply(work, loaded, MoneyDecider.Decide(Funds(work, d.Deposit.AccountId), d.Deposit), d, now),
                WithdrawCommand w => Apply(work, loaded, MoneyDecider.Decide(Funds(work, w.Withdraw.AccountId), w.Withdraw), w, now),
                PayCommand p => UsingQuote(work, loaded, p.Pay.QuoteId, p.Pay.PaymentId,
                    Apply(work, loaded, WithHold(work, DecidePay(work, loaded, p.Pay), p.Pay.Purpose, now), p, now)),
                ConvertCommand v => UsingQuote(work, loaded, v.Convert.QuoteId, v.Convert.ConversionId,
                    Apply(work, loaded, MoneyDecider.Decide(Funds(work, v.Convert.AccountId), Quote(work, loaded, v.Convert.QuoteId), v.Convert), v, now)),
                CreditCommand c => Apply(work, loaded, DecideCredit(work, loaded, c.Credit, now), c, now),
                ReverseCommand r => Apply(work, loaded, DecideReverse(work, loaded, r.Reverse), r, now),
                VerdictCommand v => Apply(work, loaded, DecideVerdict(work, loaded, v, now), v, now),
                ReviewCommand rv => Apply(work, loaded, DecideReview(work, loaded, rv.Review, now), rv, now),
                ProtectionCommand pc => Apply(work, loaded, DecideProtection(work, loaded, pc), pc, now),
                ReturnCommand rc => Apply(work, loaded, DecideReturn(work, loaded, rc.Funds), rc, now),
                _ => throw new InvalidOperationException($"Unexpected command {command.GetType().Name}."),
            };
            work.Answers.Add((command, outcome));
        }

        EngineMetrics.Commands.Add(batch.Count);
        if (work.HasWrites)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await CommitAsync(work, ct);
            EngineMetrics.CommitMilliseconds.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            EngineMetrics.Batches.Add(1);
            _version++;
            foreach (var (id, funds) in work.Staged)
            {
                _accounts[id] = funds;
                _revisions[id] = _revisions.GetValueOrDefault(id) + 1;
            }
        }

        foreach (var (ticket, outcome) in work.Idempotency)
        {
            _recent.Add(ticket.RecordId, ticket.RequestHash, outcome);
        }

        foreach (var (command, outcome) in work.Answers)
        {
            command.Done.TrySetResult(outcome);
        }

        foreach (var payment in work.Payments.Values)
        {
            if (PaymentStatuses.IsFinal(payment.Status) || payment.Status == PaymentStatuses.InReview)
            {
                _engine.Waiters.Notify(payment);
            }

            // Ours and waiting for its verdict: remembered and watched; anything else: settled and forgotten.
            if (payment.Status == PaymentStatuses.Pending && payment.PayerShard == Shard)
            {
                _engine.Deadlines.Watch(payment.Id, payment.PayerAccountId, payment.CreatedAt);
                if (_awaitingVerdict.Count < AwaitingVerdictLimit)
                {
                    _awaitingVerdict[payment.Id] = payment;
                }
            }
            else
            {
                _engine.Deadlines.Settle(payment.Id);
                _awaitingVerdict.Remove(payment.Id);
            }
        }

        foreach (var followUp in work.FollowUps)
        {
            _engine.Enqueue(followUp);
        }
    }

    private EngineOutcome? Replayed(IdempotencyTicket ticket, Dictionary<string, (string Hash, EngineOutcome Outcome)> stored, BatchWork work)
    {
        if (_recent.TryGet(ticket.RecordId, out var entry) || stored.TryGetValue(ticket.RecordId, out entry))
        {
            return entry.Hash == ticket.RequestHash
                ? entry.Outcome with { Replayed = true }
                : EngineOutcome.Failed(DomainError.Rule(ErrorCodes.IdempotencyKeyReused, "This Idempotency-Key was used with a different request."));
        }

        // The same key twice in one batch: the second is a concurrent duplicate of the first.
        return work.TicketsInBatch.Add(ticket.RecordId)
            ? null
            : EngineOutcome.Failed(DomainError.Conflict(ErrorCodes.Conflict, "A request with this Idempotency-Key is in flight; retry it shortly."));
    }

    private AccountFunds? Funds(BatchWork work, string id) =>
        work.Staged.TryGetValue(id, out var staged) ? staged : _accounts.GetValueOrDefault(id);

    private Decision<MoneyEvent> DecidePay(BatchWork work, Preloaded loaded, Pay pay)
    {
        var payer = Funds(work, pay.PayerAccountId);
        var payeeLocal = _engine.ShardOf(pay.PayeeAccountId) == Shard ? Funds(work, pay.PayeeAccountId) : null;
        var payee = payeeLocal is not null
            ? new PayeeSnapshot(payeeLocal.Id, payeeLocal.Status)
            : loaded.Payees.TryGetValue(pay.PayeeAccountId, out var remote) && !remote.PersonalDataErased ? new PayeeSnapshot(remote.Id, remote.Status) : null;
        return MoneyDecider.Decide(payer, payee, payeeLocal, _engine.PipelineDecides ? null : _engine.Risk, pay, pay.QuoteId is { } q ? Quote(work, loaded, q) : null);
    }

    /// <summary>A payment as a verdict or review sees it; null when the store has no such payment or it is not ours.</summary>
    private ReservedPayment? Reserved(PaymentRecord? p) =>
        p is null || p.PayerShard != Shard
            ? null
            : new ReservedPayment(p.Id, p.PayerAccountId, p.PayeeAccountId, new(p.Amount, p.Currency), PaymentRecords.Conversion(p),
                p.Status switch
                {
                    PaymentStatuses.Pending => PaymentStatus.Pending,
                    PaymentStatuses.InReview => PaymentStatus.InReview,
                    _ => PaymentStatus.Decided,
                });

    private Decision<MoneyEvent> DecideVerdict(BatchWork work, Preloaded loaded, VerdictCommand v, DateTimeOffset now)
    {
        var record = Payment(work, loaded, v.PaymentId);
        if (Reserved(record) is not { } payment || payment.PayerAccountId != v.PayerAccountId)
        {
            return DomainError.NotFound("No such payment.");
        }

        if (payment.Status != PaymentStatus.Pending)
        {
            return Decision<MoneyEvent>.Ok(); // decided already: a redelivered or late verdict changes nothing
        }

        var decision = v.Decision ?? Fallback(work, payment, now);
        var payeeLocal = _engine.ShardOf(payment.PayeeAccountId) == Shard;
        return WithHold(work, MoneyDecider.Decide(payment, payeeLocal, payeeLocal ? Funds(work, payment.PayeeAccountId) : null, decision, now), record!.Purpose, now);
    }

    /// <summary>No verdict came in time (Risk:VerdictDeadline): the synchronous rules decide, and say so.</summary>
    private RiskDecision Fallback(BatchWork work, ReservedPayment payment, DateTimeOffset now)
    {
        var payer = Funds(work, payment.PayerAccountId)!;
        var rules = _engine.Risk.Assess(payer, new PayeeSnapshot(payment.PayeeAccountId, Domain.Accounts.AccountStatus.Active), payment.Amount, now);
        return rules with
        {
            Reasons = [$"no fraud verdict within {_engine.Verdicts.Deadline.TotalSeconds:0.###} s: the rules decided", .. rules.Reasons],
            Source = "rules-fallback",
        };
    }

    private Decision<MoneyEvent> DecideReview(BatchWork work, Preloaded loaded, ReviewPayment review, DateTimeOffset now)
    {
        var record = Payment(work, loaded, review.PaymentId);
        var payment = Reserved(record);
        var payeeLocal = payment is not null && _engine.ShardOf(payment.PayeeAccountId) == Shard;
        return WithHold(work, MoneyDecider.Decide(payment, payeeLocal, payeeLocal ? Funds(work, payment!.PayeeAccountId) : null, review), record?.Purpose ?? string.Empty, now);
    }

    /// <summary>The newest version of a document: as this batch left it, else as the store holds it (read with the
    /// batch, or — a payment of ours waiting for its verdict — a copy of what we committed).</summary>
    private PaymentRecord? Payment(BatchWork work, Preloaded loaded, string id) =>
        work.Payments.GetValueOrDefault(id) ?? loaded.Payments.GetValueOrDefault(id) ?? _awaitingVerdict.GetValueOrDefault(id)?.Copy();

    private static FxQuote? Quote(BatchWork work, Preloaded loaded, string id) =>
        work.Quotes.GetValueOrDefault(id) ?? loaded.Quotes.GetValueOrDefault(id);

    /// <summary>A command that moved money at a quote's price used the quote up: marked in this batch, written with it.</summary>
    private static EngineOutcome UsingQuote(BatchWork work, Preloaded loaded, string? quoteId, string usedBy, EngineOutcome outcome)
    {
        if (quoteId is not null && outcome.Error is null)
        {
            work.Quotes[quoteId] = Quote(work, loaded, quoteId)! with { UsedBy = usedBy };
        }

        return outcome;
    }

    private Decision<MoneyEvent> DecideCredit(BatchWork work, Preloaded loaded, CreditPayee credit, DateTimeOffset now)
    {
        // Redelivered after a restart, or already handled: nothing to do.
        var payment = Payment(work, loaded, credit.PaymentId);
        return payment?.Status == PaymentStatuses.Processing
            ? WithHold(work, MoneyDecider.Decide(Funds(work, credit.PayeeAccountId), credit), payment.Purpose, now)
            : Decision<MoneyEvent>.Ok();
    }

    private Decision<MoneyEvent> DecideReverse(BatchWork work, Preloaded loaded, ReversePayment reverse) =>
        Payment(work, loaded, reverse.PaymentId)?.Status == PaymentStatuses.Reversing
            ? MoneyDecider.Decide(reverse)
            : Decision<MoneyEvent>.Ok();

    private EngineOutcome Apply(BatchWork work, Preloaded loaded, Decision<MoneyEvent> decision, EngineCommand command, DateTimeOffset now)
    {
        if (decision.Error is { } error)
        {
            return EngineOutcome.Failed(error);
        }

        if (decision.Events.Count == 0)
        {
            return new EngineOutcome(null, 200, null, string.Empty, null);
        }

        foreach (var e in decision.Events)
        {
            Evolve(work, e);
        }

        // Whatever came in repays what an account owes the protection reserve, first (same stream, same batch).
        var repaid = new List<MoneyEvent>();
        foreach (var (accountId, currency) in decision.Events.SelectMany(e => e.Postings)
                     .Where(p => p.Amount > 0 && p.Bucket == Bucket.Available && !SystemAccounts.IsSystem(p.Account))
                     .Select(p => (p.Account, p.Currency)).Distinct())
        {
            if (Funds(work, accountId) is { } funds && ProtectionDecider.Repay(funds, currency, now) is { } repay)
            {
                Evolve(work, repay);
                repaid.Add(repay);
            }
        }

        if (repaid.Count > 0)
        {
            decision = Decision<MoneyEvent>.Ok([.. decision.Events, .. repaid]);
        }

        EngineOutcome outcome;
        switch (command)
        {
            case DepositCommand or WithdrawCommand:
            {
                var e = decision.Events[0];
                var (id, account, amount, currency, reference, kind) = e switch
                {
                    FundsDeposited d => (d.TransactionId, d.AccountId, d.Amount, d.Currency, d.Reference, "deposit"),
                    FundsWithdrawn w => (w.TransactionId, w.AccountId, w.Amount, w.Currency, w.Reference, "withdrawal"),
                    _ => throw new InvalidOperationException(),
                };
                work.NewStreams[id] = [.. decision.Events];
                var funds = Funds(work, account)!;
                var record = new TransactionRecord
                {
                    Id = id, Kind = kind, AccountId = account, Owner = funds.Owner, Amount = amount, Currency = currency,
                    Reference = reference, BalanceAfter = funds.BalanceIn(currency).Total, CreatedAt = e.At,
                };
                work.Transactions.Add(record);
                outcome = new EngineOutcome(null, 201, $"/v1/{(kind == "deposit" ? "deposits" : "withdrawals")}/{id}",
                    JsonSerializer.Serialize(MoneyViews.Render(record), Json), null);
                break;
            }

            case ConvertCommand convert:
            {
                var e = (FundsConverted)decision.Events[0];
                work.NewStreams[e.ConversionId] = [.. decision.Events];
                outcome = new EngineOutcome(null, 201, null, JsonSerializer.Serialize(MoneyViews.Render(e), Json), null);
                break;
            }

            case PayCommand pay:
            {
                var record = new PaymentRecord
                {
                    PayerShard = Shard,
                    PayeeShard = _engine.ShardOf(pay.Pay.PayeeAccountId),
                    PayerOwner = Funds(work, pay.Pay.PayerAccountId)!.Owner,
                    PayeeOwner = (_engine.ShardOf(pay.Pay.PayeeAccountId) == Shard ? Funds(work, pay.Pay.PayeeAccountId)?.Owner : null)
                        ?? loaded.Payees.GetValueOrDefault(pay.Pay.PayeeAccountId)?.Owner ?? string.Empty,
                };
                foreach (var e in decision.Events)
                {
                    PaymentRecords.Apply(record, e);
                }

                work.Payments[record.Id] = record;
                work.NewStreams[record.Id] = [.. decision.Events];
                if (decision.Events.OfType<PaymentSentToPayee>().Any())
                {
                    work.FollowUps.Add(new CreditCommand(new CreditPayee(record.Id, record.PayeeAccountId, new(record.SettledAmount, record.SettledCurrency), now)));
                }

                outcome = new EngineOutcome(null, 201, $"/v1/payments/{record.Id}", JsonSerializer.Serialize(MoneyViews.Render(record), Json), record);
                break;
            }

            case ProtectionCommand pc:
            {
                outcome = ApplyProtection(work, loaded, decision, pc, now);
                break;
            }

            case ReturnCommand rc:
            {
                var pending = work.Returns.GetValueOrDefault(rc.Funds.StreamId) ?? loaded.Returns[rc.Funds.StreamId];
                pending.Done = true;
                work.Returns[pending.Id] = pending;
                AppendExisting(work, rc.Funds.StreamId, decision.Events);
                outcome = new EngineOutcome(null, 200, null, string.Empty, null);
                break;
            }

            default:
            {
                // Credit, reverse, verdict or review: the next chapter of a payment already started.
                var paymentId = command switch
                {
                    CreditCommand c => c.Credit.PaymentId,
                    VerdictCommand v => v.PaymentId,
                    ReviewCommand rv => rv.Review.PaymentId,
                    _ => ((ReverseCommand)command).Reverse.PaymentId,
                };
                var record = Payment(work, loaded, paymentId)!;
                foreach (var e in decision.Events)
                {
                    PaymentRecords.Apply(record, e);
                }

                work.Payments[paymentId] = record;
                if (!work.ExistingStreams.TryGetValue(paymentId, out var stream))
                {
                    work.ExistingStreams[paymentId] = stream = [];
                }

                stream.AddRange(decision.Events);
                if (decision.Events.OfType<PaymentSentToPayee>().Any())
                {
                    work.FollowUps.Add(new CreditCommand(new CreditPayee(record.Id, record.PayeeAccountId, new(record.SettledAmount, record.SettledCurrency), now)));
                }

                if (decision.Events.OfType<PaymentCreditRefused>().Any())
                {
                    work.FollowUps.Add(new ReverseCommand(new ReversePayment(paymentId, record.PayerAccountId, new(record.Amount, record.Currency), "the payee account is not active", now,
                        PaymentRecords.Conversion(record))));
                }

                outcome = command is VerdictCommand or ReviewCommand
                    ? new EngineOutcome(null, 200, null, JsonSerializer.Serialize(MoneyViews.Render(record), Json), record)
                    : new EngineOutcome(null, 200, null, string.Empty, record);
                break;
            }
        }

        if (command.Idempotency is { } ticket)
        {
            work.Idempotency.Add((ticket, outcome));
        }

        return outcome;
    }

    /// <summary>Applies an event to every account of this shard it touches, and writes their history lines.</summary>
    private void Evolve(BatchWork work, MoneyEvent e)
    {
        foreach (var posting in e.Postings)
        {
            var key = (posting.Account, posting.Currency);
            work.Movements[key] = work.Movements.GetValueOrDefault(key).Apply(posting);
        }

        // A risk decision moves no money but counts toward the payer's velocity (daily limit, payments per minute):
        // the payer is touched too, or the limits would never see a payment.
        var touched = e.Postings.Select(p => p.Account).Where(a => !SystemAccounts.IsSystem(a));
        if (e is PaymentRiskAssessed assessed)
        {
            touched = touched.Append(assessed.PayerAccountId);
        }

        foreach (var accountId in touched.Distinct())
        {
            var before = Funds(work, accountId) ?? throw new InvalidOperationException($"Account {accountId} is not loaded in shard {Shard}.");
            var after = MoneyDecider.Evolve(before, e);
            var seq = before.EntryCount;
            foreach (var (currency, amount) in MoneyDecider.EntriesFor(accountId, e))
            {
                seq++;
                var (kind, paymentId, transactionId, counterparty) = Describe(e, accountId);
                work.Entries.Add(new LedgerEntry
                {
                    Id = $"{accountId}:{seq}",
                    AccountId = accountId,
                    Seq = seq,
                    Kind = kind,
                    PaymentId = paymentId,
                    TransactionId = transactionId,
                    Counterparty = counterparty,
                    Currency = currency,
                    Amount = amount,
                    BalanceAfter = after.BalanceIn(currency).Total,
                    OccurredAt = e.At,
                });
            }

            work.Staged[accountId] = after;
        }
    }

    private (string Kind, string? PaymentId, string? TransactionId, string? Counterparty) Describe(MoneyEvent e, string accountId) => e switch
    {
        FundsDeposited d => ("deposit", null, d.TransactionId, null),
        FundsWithdrawn w => ("withdrawal", null, w.TransactionId, null),
        FundsConverted v => ("conversion", null, v.ConversionId, null),
        PaymentRefunded r => ("refund", r.PaymentId, r.RefundId, accountId == r.PayeeAccountId ? r.PayerAccountId : r.PayeeAccountId),
        FundsReturned f => (f.Kind, f.PaymentId, f.StreamId, null),
        DisputeOpened o => ("dispute_hold", o.PaymentId, o.DisputeId, o.PayerAccountId),
        PaymentFundsHeld h => ("risk_hold", h.PaymentId, null, null),
        PaymentHoldReleased r => ("risk_hold_release", r.PaymentId, null, null),
        DisputeResolved d => (d.SellerProtected ? "seller_protection" : d.Outcome == "buyer" ? "chargeback" : "dispute_release", d.PaymentId, d.DisputeId, null),
        ReceivableRepaid => ("receivable_repaid", null, null, null),
        PaymentCompleted c => ("payment", c.PaymentId, null, Counterparty(c.Postings, accountId)),
        PaymentSentToPayee s => ("payment", s.PaymentId, null, s.PayeeAccountId),
        PaymentReversed r => ("payment_reversal", r.PaymentId, null, null),
        _ => ("adjustment", null, null, null),
    };

    private static string? Counterparty(IReadOnlyList<Posting> postings, string accountId) =>
        postings.Select(p => p.Account).FirstOrDefault(a => a != accountId && !SystemAccounts.IsSystem(a));

    private async Task CommitAsync(BatchWork work, CancellationToken ct)
    {
        // Set-based: one statement per kind of row for the whole batch (LedgerCommit), in one transaction that the
        // shard fence guards; measured in ops/bench/README.md against Marten's per-stream and per-document statements.
        var commit = new LedgerCommit(_engine.Tables);
        commit.Fence(Shard, _version);
        // Fresh UUIDv7 ids: "must not exist yet" fails the batch on the primary key if it ever does.
        foreach (var (id, events) in work.NewStreams)
        {
            commit.StartStream(id, events);
        }

        foreach (var (id, events) in work.ExistingStreams)
        {
            commit.AppendToStream(id, events);
        }

        commit.Upsert(work.Staged.Select(pair => new AccountBalances
        {
            Id = pair.Key,
            Balances = new Dictionary<string, Balance>(pair.Value.Balances, StringComparer.Ordinal),
            Velocity = pair.Value.Velocity,
            EntryCount = pair.Value.EntryCount,
            Revision = _revisions.GetValueOrDefault(pair.Key) + 1,
            Owed = new Dictionary<string, long>(pair.Value.Owed, StringComparer.Ordinal),
        }).ToList(), b => b.Id);
        commit.Upsert(work.Payments.Values, p => p.Id);
        commit.Upsert(work.Transactions, t => t.Id);
        commit.Upsert(work.Disputes.Values, d => d.Id);
        commit.Upsert(work.Returns.Values, r => r.Id);
        if (work.Quotes.Count > 0)
        {
            commit.Upsert(work.Quotes.Values, q => q.Id);
            commit.Sql(LedgerSql.InsertQuoteUses,
                work.Quotes.Keys.ToArray(),
                work.Quotes.Values.Select(q => q.UsedBy!).ToArray(),
                _engine.Clock.GetUtcNow());
        }

        var entries = work.Entries;
        if (entries.Count > 0)
        {
            commit.Sql(LedgerSql.InsertEntries,
                entries.Select(e => e.AccountId).ToArray(),
                entries.Select(e => e.Seq).ToArray(),
                entries.Select(e => e.Kind).ToArray(),
                entries.Select(e => e.PaymentId).ToArray(),
                entries.Select(e => e.TransactionId).ToArray(),
                entries.Select(e => e.Currency).ToArray(),
                entries.Select(e => e.Amount).ToArray(),
                entries.Select(e => e.BalanceAfter).ToArray(),
                entries.Select(e => e.Counterparty).ToArray(),
                entries.Select(e => e.OccurredAt).ToArray());
        }

        if (work.Movements.Count > 0)
        {
            // Customer rows carry the buckets and entry count after the batch (the staged state); system rows only
            // the change: several shards move them at once, so no writer knows their running balance.
            var moves = work.Movements.ToList();
            AccountFunds? After(string account) => SystemAccounts.IsSystem(account) ? null : work.Staged[account];
            commit.Sql(Ledger.Projections.Statements.BalanceHistory.Insert,
                moves.Select(m => m.Key.Account).ToArray(),
                moves.Select(m => m.Key.Currency).ToArray(),
                moves.Select(m => m.Value.Available).ToArray(),
                moves.Select(m => m.Value.Pending).ToArray(),
                moves.Select(m => m.Value.Held).ToArray(),
                moves.Select(m => After(m.Key.Account)?.BalanceIn(m.Key.Currency).Available).ToArray(),
                moves.Select(m => After(m.Key.Account)?.BalanceIn(m.Key.Currency).Pending).ToArray(),
                moves.Select(m => After(m.Key.Account)?.BalanceIn(m.Key.Currency).Held).ToArray(),
                moves.Select(m => After(m.Key.Account)?.EntryCount).ToArray());
        }

        var records = work.Idempotency;
        if (records.Count > 0)
        {
            var now = _engine.Clock.GetUtcNow();
            commit.ClaimKeys(
                now,
                now + _engine.Options.IdempotencyRetention,
                records.Select(r => r.Ticket.RecordId).ToArray(),
                records.Select(r => r.Ticket.RequestHash).ToArray(),
                records.Select(r => r.Outcome.StatusCode).ToArray(),
                records.Select(r => r.Outcome.Location).ToArray(),
                records.Select(r => r.Outcome.Body).ToArray());
        }

        await using var connection = _store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await commit.ExecuteAsync(connection, ct);
    }
}
