using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;

namespace Ledger.Domain.Protection;

/// <summary>The payee gave back part or all of a payment. <see cref="Amount"/> is in the payee's (settled) currency;
/// <see cref="ReturnedAmount"/> is what the payer gets back in the payment's own currency.</summary>
public sealed record PaymentRefunded(
    string RefundId,
    string PaymentId,
    string PayeeAccountId,
    string PayerAccountId,
    long Amount,
    string Currency,
    long ReturnedAmount,
    string ReturnedCurrency,
    string Reason,
    long RefundedTotal,
    string RefundedBy,
    IReadOnlyList<Posting> Legs,
    DateTimeOffset At) : MoneyEvent(At)
{
    public override IReadOnlyList<Posting> Postings => Legs;
}

/// <summary>Cross-shard: money given back to the payer (refund, chargeback, seller protection) leaves transit for the
/// payer's available balance, or for the suspense account when the payer can no longer receive (closed).</summary>
public sealed record FundsReturned(
    string StreamId,
    string PaymentId,
    string AccountId,
    long Amount,
    string Currency,
    string Kind,
    bool ToSuspense,
    IReadOnlyList<Posting> Legs,
    DateTimeOffset At) : MoneyEvent(At)
{
    public override IReadOnlyList<Posting> Postings => Legs;
}

/// <summary>The payer disputed a purchase: the disputed amount is held in the payee's balance — from the payee's
/// available funds first, any shortfall from the protection reserve, which the payee then owes.</summary>
public sealed record DisputeOpened(
    string DisputeId,
    string PaymentId,
    string PayerAccountId,
    string PayeeAccountId,
    string Reason,
    string? Details,
    long Amount,
    string Currency,
    long FromPayee,
    long FromReserve,
    IReadOnlyList<Posting> Legs,
    DateTimeOffset At) : MoneyEvent(At)
{
    public override IReadOnlyList<Posting> Postings => Legs;
}

/// <summary>Support decided a dispute. <c>buyer</c>: the held amount goes back to the payer (a chargeback); with
/// <see cref="SellerProtected"/> the protection reserve pays the buyer instead and the seller keeps the money.
/// <c>seller</c>: the hold is released (the reserve's share goes back to the reserve and the receivable is cancelled).</summary>
public sealed record DisputeResolved(
    string DisputeId,
    string PaymentId,
    string Outcome,
    bool SellerProtected,
    string? Note,
    string ResolvedBy,
    long ReturnedAmount,
    string ReturnedCurrency,
    long ReceivableCancelled,
    string PayeeAccountId,
    string Currency,
    IReadOnlyList<Posting> Legs,
    DateTimeOffset At) : MoneyEvent(At)
{
    public override IReadOnlyList<Posting> Postings => Legs;
}

/// <summary>A risk hold: a purchase paid to a new or high-risk payee stays in the payee's held balance until the payer
/// confirms (<c>POST /v1/payments/{id}/release</c>) or <see cref="HeldUntil"/> passes.</summary>
public sealed record PaymentFundsHeld(string PaymentId, string PayeeAccountId, long Amount, string Currency, DateTimeOffset HeldUntil, string Reason,
    IReadOnlyList<Posting> Legs, DateTimeOffset At) : MoneyEvent(At)
{
    public override IReadOnlyList<Posting> Postings => Legs;
}

/// <summary>The risk hold ended: by the payer's confirmation or by expiry.</summary>
public sealed record PaymentHoldReleased(string PaymentId, string PayeeAccountId, long Amount, string Currency, string By,
    IReadOnlyList<Posting> Legs, DateTimeOffset At) : MoneyEvent(At)
{
    public override IReadOnlyList<Posting> Postings => Legs;
}

/// <summary>Incoming funds repaid what the account owed the protection reserve, before anything else.</summary>
public sealed record ReceivableRepaid(string AccountId, long Amount, string Currency, IReadOnlyList<Posting> Legs, DateTimeOffset At) : MoneyEvent(At)
{
    public override IReadOnlyList<Posting> Postings => Legs;
}
