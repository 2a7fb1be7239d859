using Ledger.Domain.Payments;

namespace Ledger.Projections.Money;

/// <summary>How each payment event changes the payment's record. One definition, used by the engine and by replay.</summary>
public static class PaymentRecords
{
    /// <summary>What buyer and seller protection decide on.</summary>
    public static Ledger.Domain.Protection.PaymentFacts Facts(PaymentRecord p) =>
        new(p.Id, p.PayerAccountId, p.PayeeAccountId, p.PayerOwner, p.Purpose, p.Status, p.Amount, p.Currency,
            p.SettledAmount, p.SettledCurrency, p.CompletedAt, p.Refunded, p.OpenDisputeId, p.RiskScoreBasisPoints)
        {
            Held = p.Hold == PaymentHolds.Held,
        };

    /// <summary>The conversion a cross-currency payment was priced at, as its record holds it (for reversals).</summary>
    public static Ledger.Domain.Fx.FxPrice? Conversion(PaymentRecord p) =>
        p.FxRate is { } rate
            ? new Ledger.Domain.Fx.FxPrice(new(p.Amount, p.Currency), p.Fee, new(p.SettledAmount, p.SettledCurrency), rate, 0m)
            : null;

    public static void Apply(PaymentRecord p, MoneyEvent e)
    {
        p.UpdatedAt = e.At;
        switch (e)
        {
            case PaymentInitiated i:
                p.Id = i.PaymentId;
                p.PayerAccountId = i.PayerAccountId;
                p.PayeeAccountId = i.PayeeAccountId;
                p.Amount = i.Amount;
                p.Currency = i.Currency;
                p.SettledAmount = i.Amount;
                p.SettledCurrency = i.Currency;
                p.Purpose = i.Purpose;
                p.Description = i.Description;
                p.Metadata = i.Metadata is null ? null : new Dictionary<string, string>(i.Metadata);
                p.CreatedAt = i.At;
                p.Status = PaymentStatuses.Pending;
                break;
            case PaymentConversionPriced fx:
                p.SettledAmount = fx.BuyAmount;
                p.SettledCurrency = fx.BuyCurrency;
                p.FxRate = fx.Rate;
                p.Fee = fx.Fee;
                p.QuoteId = fx.QuoteId;
                break;
            case PaymentRiskAssessed r:
                p.RiskScoreBasisPoints = r.ScoreBasisPoints;
                p.Reasons = [.. r.Reasons];
                if (r.Outcome == RiskOutcome.Review)
                {
                    p.Status = PaymentStatuses.InReview;
                }

                break;
            case PaymentReviewed r:
                p.Reasons = [.. p.Reasons, r.Approved ? "approved by support" : "rejected by support"];
                break;
            case PaymentCompleted:
                p.Status = PaymentStatuses.Completed;
                p.CompletedAt = e.At;
                break;
            case PaymentRejected:
                p.Status = PaymentStatuses.Rejected;
                break;
            case PaymentSentToPayee:
                p.Status = PaymentStatuses.Processing;
                break;
            case PaymentCreditRefused refused:
                p.Status = PaymentStatuses.Reversing;
                p.Reasons = [.. p.Reasons, refused.Reason];
                break;
            case PaymentReversed:
                p.Status = PaymentStatuses.Failed;
                break;
            case Ledger.Domain.Protection.PaymentRefunded r:
                p.Refunded = r.RefundedTotal;
                p.Status = r.RefundedTotal >= p.SettledAmount ? PaymentStatuses.Refunded : PaymentStatuses.PartiallyRefunded;
                break;
            case Ledger.Domain.Protection.DisputeOpened o:
                p.OpenDisputeId = o.DisputeId;
                break;
            case Ledger.Domain.Protection.PaymentFundsHeld h:
                p.Hold = PaymentHolds.Held;
                p.HeldUntil = h.HeldUntil;
                break;
            case Ledger.Domain.Protection.PaymentHoldReleased:
                p.Hold = PaymentHolds.Released;
                break;
            case Ledger.Domain.Protection.DisputeResolved d:
                p.OpenDisputeId = null;
                if (d.Outcome == "buyer")
                {
                    p.Status = d.SellerProtected ? PaymentStatuses.BuyerReimbursed : PaymentStatuses.ChargedBack;
                }

                break;
        }
    }
}

/// <summary>How dispute events change a dispute's record.</summary>
public static class DisputeRecords
{
    public static void Apply(DisputeRecord d, MoneyEvent e)
    {
        switch (e)
        {
            case Ledger.Domain.Protection.DisputeOpened o:
                d.Id = o.DisputeId;
                d.PaymentId = o.PaymentId;
                d.PayerAccountId = o.PayerAccountId;
                d.PayeeAccountId = o.PayeeAccountId;
                d.Reason = o.Reason;
                d.Details = o.Details;
                d.Amount = o.Amount;
                d.Currency = o.Currency;
                d.FromPayee = o.FromPayee;
                d.FromReserve = o.FromReserve;
                d.Status = Ledger.Domain.Protection.DisputeStatuses.Open;
                d.CreatedAt = o.At;
                break;
            case Ledger.Domain.Protection.DisputeResolved r:
                d.Status = r.Outcome == "buyer" ? Ledger.Domain.Protection.DisputeStatuses.ResolvedBuyer : Ledger.Domain.Protection.DisputeStatuses.ResolvedSeller;
                d.Outcome = r.Outcome;
                d.SellerProtected = r.SellerProtected;
                d.Note = r.Note;
                d.ResolvedBy = r.ResolvedBy;
                d.ResolvedAt = r.At;
                break;
        }
    }

    public static Ledger.Domain.Protection.DisputeFacts Facts(DisputeRecord d) =>
        new(d.Id, d.PaymentId, d.Status, d.Reason, d.FromPayee, d.FromReserve, d.Currency);
}
