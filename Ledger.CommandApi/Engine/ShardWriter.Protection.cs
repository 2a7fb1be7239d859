using System.Text.Json;
using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Domain.Protection;
using Ledger.Projections.Money;

namespace Ledger.CommandApi.Engine;

/// <summary>Buyer and seller protection inside the shard writer: refunds, disputes, resolutions and risk holds are
/// decided here (the payee's shard), and money given back to a payer in another shard leaves through transit.</summary>
internal sealed partial class ShardWriter
{
    private Decision<MoneyEvent> DecideProtection(BatchWork work, Preloaded loaded, ProtectionCommand command)
    {
        var record = Payment(work, loaded, command.PaymentId);
        // The API routed by the record it read; a record that names other accounts is not this payment.
        var facts = record is not null && record.PayeeAccountId == command.PayeeAccountId && record.PayerAccountId == command.PayerAccountId
            ? PaymentRecords.Facts(record)
            : null;
        var payee = Funds(work, command.PayeeAccountId);
        return command switch
        {
            RefundCommand r => ProtectionDecider.Decide(payee, facts, PayerSide(work, command.PayerAccountId), r.Refund),
            ReleaseHoldCommand h => ProtectionDecider.Decide(payee, facts, h.Release),
            OpenDisputeCommand o => ProtectionDecider.Decide(payee, facts, _engine.Protection, o.Open),
            ResolveDisputeCommand d => ProtectionDecider.Decide(payee, facts,
                (work.Disputes.GetValueOrDefault(d.DisputeId) ?? loaded.Disputes.GetValueOrDefault(d.DisputeId)) is { } dispute && dispute.PaymentId == command.PaymentId
                    ? DisputeRecords.Facts(dispute)
                    : null,
                _engine.Protection, PayerSide(work, command.PayerAccountId), d.Resolve),
            _ => throw new InvalidOperationException(),
        };
    }

    /// <summary>A purchase that reached its payee here may have to wait in the payee's held balance (risk hold).</summary>
    private Decision<MoneyEvent> WithHold(BatchWork work, Decision<MoneyEvent> decision, string purpose, DateTimeOffset now)
    {
        if (decision.Error is not null || decision.Events.OfType<PaymentCompleted>().FirstOrDefault() is not { } completed)
        {
            return decision;
        }

        var risk = decision.Events.OfType<PaymentRiskAssessed>().FirstOrDefault()?.ScoreBasisPoints;
        var credit = completed.Legs.FirstOrDefault(l => l.Amount > 0 && !SystemAccounts.IsSystem(l.Account) && _engine.ShardOf(l.Account) == Shard);
        if (credit is null || Funds(work, credit.Account) is not { } payee)
        {
            return decision;
        }

        return ProtectionDecider.Hold(payee, completed.PaymentId, purpose, risk, new(credit.Amount, credit.Currency), _engine.Protection, now) is { } hold
            ? Decision<MoneyEvent>.Ok([.. decision.Events, hold])
            : decision;
    }

    /// <summary>Where money given back to a payer goes from this shard: the payer itself (same shard, active), the
    /// suspense account (same shard, closed or suspended), or transit to the payer's shard.</summary>
    private string PayerSide(BatchWork work, string payer) =>
        _engine.ShardOf(payer) != Shard
            ? SystemAccounts.Transit
            : Funds(work, payer) is { Status: Domain.Accounts.AccountStatus.Active } ? payer : SystemAccounts.Suspense;

    private Decision<MoneyEvent> DecideReturn(BatchWork work, Preloaded loaded, Domain.Protection.ReturnFunds funds)
    {
        // Redelivered after a restart, or already credited: nothing to do.
        var pending = work.Returns.GetValueOrDefault(funds.StreamId) ?? loaded.Returns.GetValueOrDefault(funds.StreamId);
        return pending is { Done: false } ? ProtectionDecider.Decide(Funds(work, funds.AccountId), funds) : Decision<MoneyEvent>.Ok();
    }

    private static void AppendExisting(BatchWork work, string streamId, IEnumerable<MoneyEvent> events)
    {
        if (!work.ExistingStreams.TryGetValue(streamId, out var stream))
        {
            work.ExistingStreams[streamId] = stream = [];
        }

        stream.AddRange(events);
    }

    /// <summary>A refund (new stream), a dispute opened (new stream) or resolved (its stream): the payment's and the
    /// dispute's records, and — when the payer lives in another shard — the money's way back through transit.</summary>
    private EngineOutcome ApplyProtection(BatchWork work, Preloaded loaded, Decision<MoneyEvent> decision, ProtectionCommand command, DateTimeOffset now)
    {
        var payment = Payment(work, loaded, command.PaymentId)!;
        foreach (var e in decision.Events)
        {
            PaymentRecords.Apply(payment, e);
        }

        work.Payments[payment.Id] = payment;
        string streamId;
        string body;
        long returned;
        string kind;
        switch (decision.Events[0])
        {
            case PaymentRefunded r:
                streamId = r.RefundId;
                work.NewStreams[streamId] = [.. decision.Events];
                returned = r.ReturnedAmount;
                kind = "refund";
                body = JsonSerializer.Serialize(new RefundView(r.RefundId, r.PaymentId, MoneyView.Of(r.Amount, r.Currency),
                    MoneyView.Of(r.ReturnedAmount, r.ReturnedCurrency), r.Reason, payment.Status, r.At), Json);
                break;
            case DisputeOpened o:
            {
                streamId = o.DisputeId;
                work.NewStreams[streamId] = [.. decision.Events];
                var dispute = new DisputeRecord { PayerOwner = payment.PayerOwner, PayeeOwner = Funds(work, payment.PayeeAccountId)!.Owner };
                DisputeRecords.Apply(dispute, o);
                work.Disputes[dispute.Id] = dispute;
                returned = 0;
                kind = "dispute";
                body = JsonSerializer.Serialize(DisputeViews.Render(dispute), Json);
                break;
            }

            case PaymentHoldReleased released:
                streamId = released.PaymentId;
                AppendExisting(work, streamId, decision.Events);
                returned = 0;
                kind = "release";
                body = JsonSerializer.Serialize(MoneyViews.Render(payment), Json);
                break;
            case DisputeResolved d:
            {
                streamId = d.DisputeId;
                AppendExisting(work, streamId, decision.Events);
                var dispute = work.Disputes.GetValueOrDefault(d.DisputeId) ?? loaded.Disputes[d.DisputeId];
                DisputeRecords.Apply(dispute, d);
                work.Disputes[dispute.Id] = dispute;
                returned = d.ReturnedAmount;
                kind = d.SellerProtected ? "seller_protection" : "chargeback";
                body = JsonSerializer.Serialize(DisputeViews.Render(dispute), Json);
                break;
            }

            default:
                throw new InvalidOperationException($"Unexpected protection event {decision.Events[0].GetType().Name}.");
        }

        if (returned > 0 && _engine.ShardOf(payment.PayerAccountId) != Shard)
        {
            var pending = new PendingReturn
            {
                Id = streamId, PaymentId = payment.Id, AccountId = payment.PayerAccountId, Amount = returned, Currency = payment.Currency,
                Kind = kind, PayerShard = _engine.ShardOf(payment.PayerAccountId),
            };
            work.Returns[pending.Id] = pending;
            work.FollowUps.Add(new ReturnCommand(new ReturnFunds(streamId, payment.Id, payment.PayerAccountId, new(returned, payment.Currency), kind, now)));
        }

        return new EngineOutcome(null, decision.Events[0] is DisputeResolved or PaymentHoldReleased ? 200 : 201,
            decision.Events[0] is DisputeOpened o2 ? $"/v1/disputes/{o2.DisputeId}" : null, body, null);
    }
}
