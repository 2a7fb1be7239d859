using Ledger.Domain.Common;

namespace Ledger.Domain.Payments;

public sealed record Deposit(string TransactionId, string AccountId, Money.Money Amount, string Reference, Actor Actor, DateTimeOffset At);

public sealed record Withdraw(string TransactionId, string AccountId, Money.Money Amount, string Reference, Actor Actor, DateTimeOffset At);

public sealed record Pay(
    string PaymentId,
    string PayerAccountId,
    string PayeeAccountId,
    Money.Money Amount,
    string PayeeCurrency,
    string Purpose,
    string? Description,
    IReadOnlyDictionary<string, string>? Metadata,
    Actor Actor,
    DateTimeOffset At,
    string? QuoteId = null,
    Fx.FxPrice? SpotPrice = null,
    string? SpotRateSource = null);

/// <summary>Cross-shard, to the payee's shard: credit what the payer's shard sent to transit (in the payee's currency).</summary>
public sealed record CreditPayee(string PaymentId, string PayeeAccountId, Money.Money Amount, DateTimeOffset At);

/// <summary>Cross-shard, back to the payer's shard: the credit was refused, return the money.</summary>
public sealed record ReversePayment(string PaymentId, string PayerAccountId, Money.Money Amount, string Reason, DateTimeOffset At, Fx.FxPrice? Conversion = null);

/// <summary>Convert money within one account at a quote's locked price (<c>POST /v1/conversions</c>).</summary>
public sealed record ConvertFunds(string ConversionId, string AccountId, string QuoteId, Actor Actor, DateTimeOffset At);

/// <summary>What the payer's shard knows of a payee it does not own: enough to refuse early.</summary>
public sealed record PayeeSnapshot(string Id, Accounts.AccountStatus Status);

/// <summary>Support's decision on a payment in review (<c>POST /v1/fraud/reviews/{paymentId}</c>).</summary>
public sealed record ReviewPayment(string PaymentId, bool Approve, string? Note, Actor Actor, DateTimeOffset At);

/// <summary>Where a payment stands in its risk decision, as far as the verdict matters.</summary>
public enum PaymentStatus
{
    /// <summary>Funds reserved, waiting for the risk decision.</summary>
    Pending,
    InReview,
    /// <summary>Any status a verdict no longer changes (decided, in transit, refunded, ...).</summary>
    Decided,
}

/// <summary>A payment whose funds were reserved: what a verdict needs to settle it (the conversion it was priced at, if any).</summary>
public sealed record ReservedPayment(string PaymentId, string PayerAccountId, string PayeeAccountId, Money.Money Amount, Fx.FxPrice? Conversion, PaymentStatus Status);
