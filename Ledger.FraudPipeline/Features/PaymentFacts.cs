namespace Ledger.FraudPipeline.Features;

/// <summary>
/// What the fraud pipeline knows of one payment when it scores it: taken from the ledger's
/// <c>payment_initiated.v1</c> (and <c>payment_conversion_priced.v1</c>) events, or made by the synthetic generator.
/// Amounts are minor units of <see cref="Currency"/> (money is never a float); features may be floats, they are
/// model inputs, not money.
/// </summary>
public sealed record PaymentFacts(
    string PaymentId,
    string PayerAccountId,
    string PayeeAccountId,
    long AmountMinor,
    string Currency,
    string PayeeCurrency,
    string Purpose,
    DateTimeOffset At);
