namespace Ledger.Projections.Money;

/// <summary>A refund, as <c>POST /v1/payments/{id}/refunds</c> answers it: <see cref="Amount"/> in the payee's
/// currency, <see cref="Returned"/> what the payer got back in the payment's currency.</summary>
public sealed record RefundView(string Id, string PaymentId, MoneyView Amount, MoneyView Returned, string Reason, string PaymentStatus, DateTimeOffset CreatedAt);

public sealed record DisputeView(
    string Id,
    string PaymentId,
    string PayerAccountId,
    string PayeeAccountId,
    string Reason,
    string? Details,
    MoneyView Amount,
    MoneyView CoveredByReserve,
    string Status,
    string? Outcome,
    bool SellerProtected,
    string? Note,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ResolvedAt);

public static class DisputeViews
{
    public static DisputeView Render(DisputeRecord d) => new(
        d.Id,
        d.PaymentId,
        d.PayerAccountId,
        d.PayeeAccountId,
        d.Reason,
        d.Details,
        MoneyView.Of(d.Amount, d.Currency),
        MoneyView.Of(d.FromReserve, d.Currency),
        d.Status,
        d.Outcome,
        d.SellerProtected,
        d.Note,
        d.CreatedAt,
        d.ResolvedAt);
}
