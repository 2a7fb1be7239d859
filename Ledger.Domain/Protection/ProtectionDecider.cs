using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;

namespace Ledger.Domain.Protection;

/// <summary>What protection needs to know of a payment, as its record holds it (the payee's owner is checked against
/// the payee's account itself, which the deciding shard holds). Amounts in minor units: <see cref="Amount"/>
/// in the payer's currency, <see cref="Settled"/> (and refunds, disputes) in the payee's.</summary>
public sealed record PaymentFacts(
    string Id,
    string PayerAccountId,
    string PayeeAccountId,
    string PayerOwner,
    string Purpose,
    string Status,
    long Amount,
    string Currency,
    long Settled,
    string SettledCurrency,
    DateTimeOffset? CompletedAt,
    long Refunded,
    string? OpenDisputeId,
    int? RiskScoreBasisPoints)
{
    /// <summary>The payment's money is under a risk hold in the payee's balance.</summary>
    public bool Held { get; init; }
}

/// <summary>A dispute as its record holds it.</summary>
public sealed record DisputeFacts(string Id, string PaymentId, string Status, string Reason, long FromPayee, long FromReserve, string Currency);

public sealed record RefundPayment(string RefundId, long? Amount, string Reason, Actor Actor, DateTimeOffset At);

public sealed record OpenDispute(string DisputeId, string Reason, string? Details, Actor Actor, DateTimeOffset At);

public sealed record ResolveDispute(string Outcome, string? Note, Actor Actor, DateTimeOffset At);

/// <summary>Section <c>Protection</c>: how long purchases are protected, who qualifies for seller protection, and
/// which purchases are held (payees younger than <see cref="HoldNewPayeesFor"/>, or risk scores above
/// <see cref="HoldAboveRiskBasisPoints"/>; both off by default) and for how long.</summary>
public sealed record ProtectionPolicy(TimeSpan Window, int SellerProtectionMaxRiskBasisPoints)
{
    public static readonly ProtectionPolicy Default = new(TimeSpan.FromDays(180), 5_000);

    public TimeSpan HoldNewPayeesFor { get; init; } = TimeSpan.Zero;
    public int? HoldAboveRiskBasisPoints { get; init; }
    public TimeSpan HoldPeriod { get; init; } = TimeSpan.FromDays(14);
}

public sealed record ReleaseHold(string By, Actor Actor, DateTimeOffset At);

public static class DisputeReasons
{
    public const string NotReceived = "not_received";
    public const string NotAsDescribed = "not_as_described";
    public const string Unauthorized = "unauthorized";

    public static bool IsKnown(string? reason) => reason is NotReceived or NotAsDescribed or Unauthorized;
}

public static class DisputeStatuses
{
    public const string Open = "open";
    public const string ResolvedBuyer = "resolved_buyer";
    public const string ResolvedSeller = "resolved_seller";
}

/// <summary>
/// Refunds and disputes (SPEC "Buyer and seller protection"), decided in the payee's shard because the payee's money
/// is what moves first. The payer's side is <c>to</c>: the payer's own account when it lives in the same
/// shard, else the transit account (the engine then hands a <see cref="FundsReturned"/> to the payer's shard).
/// Lifecycle of a payment here: completed → partially_refunded → refunded; a dispute: open → resolved_buyer |
/// resolved_seller. Every illegal step answers a stable code.
/// </summary>
public static class ProtectionDecider
{
    public const string Completed = "completed";
    public const string Refunded = "refunded";
    public const string PartiallyRefunded = "partially_refunded";

    public static Decision<MoneyEvent> Decide(AccountFunds? payee, PaymentFacts? payment, string to, RefundPayment c)
    {
        if (payment is null || payee is null || !(c.Actor.IsSupport || payee.Owner == c.Actor.Subject || payment.PayerOwner == c.Actor.Subject))
        {
            return DomainError.NotFound("No such payment.");
        }

        if (!c.Actor.IsSupport && payee.Owner != c.Actor.Subject)
        {
            return DomainError.Forbidden("Only the payee (or support) refunds a payment.");
        }

        if (payment.Status is not (Completed or PartiallyRefunded))
        {
            return DomainError.Rule(ErrorCodes.PaymentNotRefundable, $"A {payment.Status} payment cannot be refunded.");
        }

        if (payment.OpenDisputeId is not null)
        {
            return DomainError.Rule(ErrorCodes.DisputeOpen, "The payment is under dispute: the dispute's resolution decides where the money goes.");
        }

        if (payment.Held)
        {
            return DomainError.Rule(ErrorCodes.PaymentHeld, "The payment is under a risk hold; it can be refunded once released.");
        }

        var left = payment.Settled - payment.Refunded;
        var amount = c.Amount ?? left;
        if (amount <= 0)
        {
            return DomainError.Validation("The refund amount must be greater than zero.");
        }

        if (amount > left)
        {
            return DomainError.Rule(ErrorCodes.RefundExceedsPayment, $"Only {left} minor units of {payment.SettledCurrency} are left to refund.");
        }

        if (payee.BalanceIn(payment.SettledCurrency).Available < amount)
        {
            return DomainError.Rule(ErrorCodes.InsufficientFunds, $"The payee's available {payment.SettledCurrency} balance does not cover this refund.");
        }

        var (legs, returned) = GiveBack(payment, amount, payment.PayeeAccountId, Bucket.Available, to);
        return Decision<MoneyEvent>.Ok(new PaymentRefunded(c.RefundId, payment.Id, payment.PayeeAccountId, payment.PayerAccountId, amount, payment.SettledCurrency,
            returned, payment.Currency, c.Reason, payment.Refunded + amount, c.Actor.Subject, Postings.AssertBalanced(legs), c.At));
    }

    public static Decision<MoneyEvent> Decide(AccountFunds? payee, PaymentFacts? payment, ProtectionPolicy policy, OpenDispute c)
    {
        if (payment is null || payee is null || !(payment.PayerOwner == c.Actor.Subject || payee.Owner == c.Actor.Subject || c.Actor.IsSupport))
        {
            return DomainError.NotFound("No such payment.");
        }

        if (payment.PayerOwner != c.Actor.Subject)
        {
            return DomainError.Forbidden("Only the payer disputes a payment.");
        }

        if (!DisputeReasons.IsKnown(c.Reason))
        {
            return DomainError.Validation("reason must be not_received, not_as_described or unauthorized.");
        }

        if (payment.Purpose != MoneyDecider.Purchase)
        {
            return DomainError.Rule(ErrorCodes.NotAPurchase, "Only purchases are protected; this payment was personal.");
        }

        if (payment.OpenDisputeId is not null)
        {
            return DomainError.Rule(ErrorCodes.DisputeOpen, "This payment already has an open dispute.");
        }

        if (payment.Status is not (Completed or PartiallyRefunded) || payment.CompletedAt is null)
        {
            return DomainError.Rule(ErrorCodes.PaymentNotDisputable, $"A {payment.Status} payment cannot be disputed.");
        }

        if (payment.Held)
        {
            return DomainError.Rule(ErrorCodes.PaymentHeld, "The payment is still under a risk hold: the money has not reached the seller. Dispute it once released.");
        }

        if (c.At > payment.CompletedAt.Value + policy.Window)
        {
            return DomainError.Rule(ErrorCodes.ProtectionWindowClosed, $"Purchases are protected for {policy.Window.TotalDays:0} days after they complete.");
        }

        var amount = payment.Settled - payment.Refunded;
        var currency = payment.SettledCurrency;
        var fromPayee = Math.Min(amount, Math.Max(0, payee.BalanceIn(currency).Available));
        var fromReserve = amount - fromPayee;
        var legs = new List<Posting>();
        if (fromPayee > 0)
        {
            legs.AddRange(Postings.Move(currency, fromPayee, payment.PayeeAccountId, Bucket.Available, payment.PayeeAccountId, Bucket.Held));
        }

        if (fromReserve > 0)
        {
            legs.AddRange(Postings.Move(currency, fromReserve, SystemAccounts.ProtectionReserve, Bucket.Available, payment.PayeeAccountId, Bucket.Held));
        }

        return Decision<MoneyEvent>.Ok(new DisputeOpened(c.DisputeId, payment.Id, payment.PayerAccountId, payment.PayeeAccountId, c.Reason, c.Details,
            amount, currency, fromPayee, fromReserve, Postings.AssertBalanced(legs), c.At));
    }

    public static Decision<MoneyEvent> Decide(AccountFunds? payee, PaymentFacts? payment, DisputeFacts? dispute, ProtectionPolicy policy, string to, ResolveDispute c)
    {
        if (dispute is null || payment is null || payee is null)
        {
            return DomainError.NotFound("No such dispute.");
        }

        if (!c.Actor.IsSupport)
        {
            return payment.PayerOwner == c.Actor.Subject || payee.Owner == c.Actor.Subject
                ? DomainError.Forbidden("Only support resolves disputes.")
                : DomainError.NotFound("No such dispute.");
        }

        if (c.Outcome is not ("buyer" or "seller"))
        {
            return DomainError.Validation("outcome must be buyer or seller.");
        }

        if (dispute.Status != DisputeStatuses.Open)
        {
            return DomainError.Rule(ErrorCodes.DisputeNotOpen, $"The dispute is already {dispute.Status}.");
        }

        var (currency, held) = (dispute.Currency, dispute.FromPayee + dispute.FromReserve);
        var legs = new List<Posting>();
        long returned = 0;
        var protectedSeller = false;

        // What of the reserve's share the payee still owes: incoming funds may have repaid it meanwhile (Repay), and the
        // reserve must not be paid back twice.
        var stillOwed = Math.Min(dispute.FromReserve, Math.Max(0, payee.Owed.GetValueOrDefault(currency)));
        if (c.Outcome == "seller" || SellerProtected(payee, payment, dispute, policy))
        {
            // The seller keeps the money: its own share (and what it already repaid) back to available, the rest of the
            // reserve's share back to the reserve.
            if (held - stillOwed > 0)
            {
                legs.AddRange(Postings.Move(currency, held - stillOwed, payment.PayeeAccountId, Bucket.Held, payment.PayeeAccountId, Bucket.Available));
            }

            if (stillOwed > 0)
            {
                legs.AddRange(Postings.Move(currency, stillOwed, payment.PayeeAccountId, Bucket.Held, SystemAccounts.ProtectionReserve, Bucket.Available));
            }

            if (c.Outcome == "buyer")
            {
                // Seller protection: the reserve pays the buyer what a chargeback would have.
                protectedSeller = true;
                var (reserveLegs, paid) = GiveBack(payment, held, SystemAccounts.ProtectionReserve, Bucket.Available, to);
                legs.AddRange(reserveLegs);
                returned = paid;
            }
        }
        else
        {
            // Chargeback: the held amount goes back to the buyer; what the reserve covered stays owed by the seller.
            var (chargeback, paid) = GiveBack(payment, held, payment.PayeeAccountId, Bucket.Held, to);
            legs.AddRange(chargeback);
            returned = paid;
        }

        var cancelled = c.Outcome == "seller" || protectedSeller ? stillOwed : 0;
        return Decision<MoneyEvent>.Ok(new DisputeResolved(dispute.Id, payment.Id, c.Outcome, protectedSeller, c.Note, c.Actor.Subject,
            returned, payment.Currency, cancelled, payment.PayeeAccountId, currency, Postings.AssertBalanced(legs), c.At));
    }

    /// <summary>The risk hold on a purchase just credited to <paramref name="payee"/>, if the policy asks for one.</summary>
    public static PaymentFundsHeld? Hold(AccountFunds payee, string paymentId, string purpose, int? riskScore, Money.Money credited, ProtectionPolicy policy, DateTimeOffset at)
    {
        if (purpose != MoneyDecider.Purchase)
        {
            return null;
        }

        var reason = policy.HoldNewPayeesFor > TimeSpan.Zero && at - payee.CreatedAt < policy.HoldNewPayeesFor ? "new_payee"
            : policy.HoldAboveRiskBasisPoints is { } limit && (riskScore ?? 0) > limit ? "high_risk"
            : null;
        return reason is null
            ? null
            : new PaymentFundsHeld(paymentId, payee.Id, credited.Minor, credited.Currency, at + policy.HoldPeriod, reason,
                Postings.AssertBalanced(Postings.Move(credited.Currency, credited.Minor, payee.Id, Bucket.Available, payee.Id, Bucket.Held)), at);
    }

    /// <summary>Ends a risk hold: the payer confirms (or support, or the expiry job acting as support).</summary>
    public static Decision<MoneyEvent> Decide(AccountFunds? payee, PaymentFacts? payment, ReleaseHold c)
    {
        if (payment is null || payee is null || !(payment.PayerOwner == c.Actor.Subject || payee.Owner == c.Actor.Subject || c.Actor.IsSupport))
        {
            return DomainError.NotFound("No such payment.");
        }

        if (payment.PayerOwner != c.Actor.Subject && !c.Actor.IsSupport)
        {
            return DomainError.Forbidden("Only the payer confirms a held payment.");
        }

        if (!payment.Held)
        {
            return DomainError.Rule(ErrorCodes.PaymentNotHeld, "This payment is not under a risk hold.");
        }

        var amount = payment.Settled;
        return Decision<MoneyEvent>.Ok(new PaymentHoldReleased(payment.Id, payment.PayeeAccountId, amount, payment.SettledCurrency, c.By,
            Postings.AssertBalanced(Postings.Move(payment.SettledCurrency, amount, payment.PayeeAccountId, Bucket.Held, payment.PayeeAccountId, Bucket.Available)), c.At));
    }

    /// <summary>
    /// Seller protection (configurable rule): an <c>unauthorized</c> dispute on a purchase, a seller in good standing
    /// (active, owing nothing) and a payment the risk check did not flag (score at most the policy's maximum).
    /// </summary>
    public static bool SellerProtected(AccountFunds payee, PaymentFacts payment, DisputeFacts dispute, ProtectionPolicy policy) =>
        dispute.Reason == DisputeReasons.Unauthorized
        && payment.Purpose == MoneyDecider.Purchase
        && payee.Status == Accounts.AccountStatus.Active
        && payee.Owed.Values.All(v => v == 0)
        && (payment.RiskScoreBasisPoints ?? 0) <= policy.SellerProtectionMaxRiskBasisPoints;

    /// <summary>
    /// Gives <paramref name="amount"/> of the payee's (settled) currency back to the payer's side <paramref name="to"/>,
    /// converted back at the payment's own effective rate (amount ÷ settled, rounded down) when it was cross-currency:
    /// a full refund returns all the payer paid, spread included. The rounding is cumulative over what was already
    /// refunded (<see cref="PaymentFacts.Refunded"/>), so parts that add up to the whole also return all the payer paid.
    /// </summary>
    public static (List<Posting> Legs, long Returned) GiveBack(PaymentFacts payment, long amount, string from, Bucket fromBucket, string to)
    {
        if (payment.Currency == payment.SettledCurrency)
        {
            return ([.. Postings.Move(payment.Currency, amount, from, fromBucket, to, Bucket.Available)], amount);
        }

        // Int128: the product of two amounts of up to 10^15 minor units overflows decimal.
        long PaidFor(long settled) => (long)((Int128)settled * payment.Amount / payment.Settled);
        var returned = PaidFor(payment.Refunded + amount) - PaidFor(payment.Refunded);
        List<Posting> legs =
        [
            new(from, payment.SettledCurrency, -amount, fromBucket),
            new(SystemAccounts.Fx, payment.SettledCurrency, amount, Bucket.Available),
        ];
        if (returned > 0)
        {
            legs.Add(new Posting(SystemAccounts.Fx, payment.Currency, -returned, Bucket.Available));
            legs.Add(new Posting(to, payment.Currency, returned, Bucket.Available));
        }

        return (legs, returned);
    }

    /// <summary>The payer's side of money given back across shards: from transit to the payer, or to suspense when the
    /// payer can no longer receive.</summary>
    public static Decision<MoneyEvent> Decide(AccountFunds? payer, ReturnFunds c)
    {
        var toSuspense = payer is null || payer.Status != Accounts.AccountStatus.Active;
        var target = toSuspense ? SystemAccounts.Suspense : c.AccountId;
        return Decision<MoneyEvent>.Ok(new FundsReturned(c.StreamId, c.PaymentId, c.AccountId, c.Amount.Minor, c.Amount.Currency, c.Kind, toSuspense,
            Postings.AssertBalanced(Postings.Move(c.Amount.Currency, c.Amount.Minor, SystemAccounts.Transit, Bucket.Available, target, Bucket.Available)), c.At));
    }

    /// <summary>Incoming funds repay what the account owes the protection reserve first (none when it owes nothing).</summary>
    public static ReceivableRepaid? Repay(AccountFunds account, string currency, DateTimeOffset at)
    {
        var owed = account.Owed.GetValueOrDefault(currency);
        var available = account.BalanceIn(currency).Available;
        var amount = Math.Min(owed, available);
        return amount <= 0
            ? null
            : new ReceivableRepaid(account.Id, amount, currency,
                Postings.AssertBalanced(Postings.Move(currency, amount, account.Id, Bucket.Available, SystemAccounts.ProtectionReserve, Bucket.Available)), at);
    }
}

/// <summary>To the payer's shard: credit what the payee's shard sent to transit for a refund, chargeback or seller protection.</summary>
public sealed record ReturnFunds(string StreamId, string PaymentId, string AccountId, Money.Money Amount, string Kind, DateTimeOffset At);
