using Ledger.Domain.Ledger;

namespace Ledger.Domain.Payments;

/// <summary>
/// Every event that moves money carries its postings, already balanced per currency. Stored names are explicit and
/// versioned (Ledger.Projections EventNames). Amounts are minor units of <c>Currency</c>.
/// </summary>
public abstract record MoneyEvent(DateTimeOffset At)
{
    public virtual IReadOnlyList<Posting> Postings => [];
}

public sealed record FundsDeposited(string TransactionId, string AccountId, long Amount, string Currency, string Reference, IReadOnlyList<Posting> Legs, DateTimeOffset At)
    : MoneyEvent(At)
{
    public override IReadOnlyList<Posting> Postings => Legs;
}

public sealed record FundsWithdrawn(string TransactionId, string AccountId, long Amount, string Currency, string Reference, IReadOnlyList<Posting> Legs, DateTimeOffset At)
    : MoneyEvent(At)
{
    public override IReadOnlyList<Posting> Postings => Legs;
}

public sealed record PaymentInitiated(
    string PaymentId,
    string PayerAccountId,
    string PayeeAccountId,
    long Amount,
    string Currency,
    string Purpose,
    string? Description,
    IReadOnlyDictionary<string, string>? Metadata,
    string InitiatedBy,
    DateTimeOffset At) : MoneyEvent(At);

/// <summary>Payer's available down, pending up by the amount.</summary>
public sealed record PaymentFundsReserved(string PaymentId, IReadOnlyList<Posting> Legs, DateTimeOffset At) : MoneyEvent(At)
{
    public override IReadOnlyList<Posting> Postings => Legs;
}

public enum RiskOutcome
{
    Approve,
    Review,
    Reject,
}

/// <summary>The risk decision: score in basis points (0–10000 = 0–1), reasons, and who decided (rules, model…).</summary>
public sealed record PaymentRiskAssessed(
    string PaymentId,
    string PayerAccountId,
    long Amount,
    string Currency,
    RiskOutcome Outcome,
    int ScoreBasisPoints,
    IReadOnlyList<string> Reasons,
    string Source,
    DateTimeOffset At) : MoneyEvent(At);

/// <summary>Support's decision on a payment in review; the completion or rejection that follows carries the money.</summary>
public sealed record PaymentReviewed(string PaymentId, bool Approved, string? Note, string ReviewedBy, DateTimeOffset At) : MoneyEvent(At);

/// <summary>The reserve moved to the payee (same shard), or the transit amount was credited (payee's shard).</summary>
public sealed record PaymentCompleted(string PaymentId, IReadOnlyList<Posting> Legs, DateTimeOffset At) : MoneyEvent(At)
{
    public override IReadOnlyList<Posting> Postings => Legs;
}

/// <summary>Risk said no: the reserve is released to the payer's available balance.</summary>
public sealed record PaymentRejected(string PaymentId, IReadOnlyList<string> Reasons, IReadOnlyList<Posting> Legs, DateTimeOffset At) : MoneyEvent(At)
{
    public override IReadOnlyList<Posting> Postings => Legs;
}

/// <summary>Cross-shard: the payer's reserve leaves for the transit account; the payee's shard credits it next.</summary>
public sealed record PaymentSentToPayee(string PaymentId, string PayeeAccountId, IReadOnlyList<Posting> Legs, DateTimeOffset At) : MoneyEvent(At)
{
    public override IReadOnlyList<Posting> Postings => Legs;
}

/// <summary>Cross-shard: the payee's shard could not apply the credit (the payee closed or was suspended meanwhile).</summary>
public sealed record PaymentCreditRefused(string PaymentId, string Reason, DateTimeOffset At) : MoneyEvent(At);

/// <summary>Cross-shard: a refused credit returns from transit to the payer's available balance.</summary>
public sealed record PaymentReversed(string PaymentId, string Reason, IReadOnlyList<Posting> Legs, DateTimeOffset At) : MoneyEvent(At)
{
    public override IReadOnlyList<Posting> Postings => Legs;
}

/// <summary>
/// A payment paid in one currency and received in another: the price it was converted at (from a quote or priced on
/// the spot). Comes right after <see cref="PaymentInitiated"/>; the completion's postings carry the conversion legs.
/// </summary>
public sealed record PaymentConversionPriced(
    string PaymentId,
    string? QuoteId,
    long SellAmount,
    string SellCurrency,
    long Fee,
    long BuyAmount,
    string BuyCurrency,
    decimal Rate,
    decimal MidRate,
    string RateSource,
    DateTimeOffset At) : MoneyEvent(At);

/// <summary>A conversion within one account (<c>POST /v1/conversions</c>): sell currency out (fee to fee revenue),
/// buy currency in, through the fx account.</summary>
public sealed record FundsConverted(
    string ConversionId,
    string AccountId,
    string QuoteId,
    long SellAmount,
    string SellCurrency,
    long Fee,
    long BuyAmount,
    string BuyCurrency,
    decimal Rate,
    IReadOnlyList<Posting> Legs,
    DateTimeOffset At) : MoneyEvent(At)
{
    public override IReadOnlyList<Posting> Postings => Legs;
}
