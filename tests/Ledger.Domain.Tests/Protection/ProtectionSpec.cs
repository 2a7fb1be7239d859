using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Domain.Protection;
using static Ledger.Domain.Tests.Payments.MoneySpec;

namespace Ledger.Domain.Tests.Protection;

/// <summary>
/// Given(a payment's facts, the payee's funds) / When(refund | dispute | resolution) / Then(events | error) for
/// <see cref="ProtectionDecider"/>, no database. Alice buys from Bob; Carol is neither of them; Sam is support.
/// </summary>
public static class ProtectionSpec
{
    public const string Reserve = SystemAccounts.ProtectionReserve;
    public const string DisputeId = "dsp_1";

    public static readonly Actor Carol = new("carol", new HashSet<Role> { Role.Customer });
    public static readonly ProtectionPolicy Policy = ProtectionPolicy.Default;

    /// <summary>When the purchase completed; the protection window runs from here.</summary>
    public static readonly DateTimeOffset CompletedAt = T0.AddMinutes(1);

    /// <summary>Ten days after completion: well inside the window.</summary>
    public static readonly DateTimeOffset Later = CompletedAt.AddDays(10);

    /// <summary>A completed purchase of 100.00 USD from Alice to Bob, scored low by risk (10%).</summary>
    public static PaymentFacts Purchase(long amount = 10_000) =>
        new(PaymentId, AliceAccount, BobAccount, "alice", MoneyDecider.Purchase, ProtectionDecider.Completed,
            amount, "USD", amount, "USD", CompletedAt, 0, null, 1_000);

    /// <summary>Alice paid 100.00 USD; Bob received 14,925 JPY (at 149.25, the spread already taken).</summary>
    public static PaymentFacts UsdToJpyPurchase() =>
        Purchase() with { Settled = 14_925, SettledCurrency = "JPY" };

    public static RefundPayment Refund(long? amount = null, Actor? by = null, string refundId = "rfd_1") =>
        new(refundId, amount, "returned goods", by ?? Bob, Later);

    public static OpenDispute Dispute(string reason = DisputeReasons.NotReceived, Actor? by = null, DateTimeOffset? at = null) =>
        new(DisputeId, reason, "the parcel never came", by ?? Alice, at ?? Later);

    public static ResolveDispute Resolve(string outcome, Actor? by = null) =>
        new(outcome, "checked the tracking", by ?? Support, Later.AddDays(5));

    /// <summary>The payee refunds; <paramref name="to"/> is the payer's side (its account in shard, else transit).</summary>
    public static Decision<MoneyEvent> Refunds(this AccountFunds payee, PaymentFacts payment, RefundPayment c, string to = AliceAccount) =>
        ProtectionDecider.Decide(payee, payment, to, c);

    public static Decision<MoneyEvent> Disputes(this AccountFunds payee, PaymentFacts payment, OpenDispute c, ProtectionPolicy? policy = null) =>
        ProtectionDecider.Decide(payee, payment, policy ?? Policy, c);

    public static Decision<MoneyEvent> Resolves(this AccountFunds payee, PaymentFacts payment, DisputeFacts dispute, ResolveDispute c, string to = AliceAccount, ProtectionPolicy? policy = null) =>
        ProtectionDecider.Decide(payee, payment, dispute, policy ?? Policy, to, c);

    /// <summary>A dispute as its record holds it once opened.</summary>
    public static DisputeFacts Facts(this DisputeOpened opened, string status = DisputeStatuses.Open) =>
        new(opened.DisputeId, opened.PaymentId, status, opened.Reason, opened.FromPayee, opened.FromReserve, opened.Currency);

    /// <summary>
    /// Alice disputes <paramref name="payment"/> with Bob holding <paramref name="payee"/>: Bob's funds after the hold,
    /// the payment as its record holds it then, the dispute's record and the event.
    /// </summary>
    public static (AccountFunds Payee, PaymentFacts Payment, DisputeFacts Dispute, DisputeOpened Opened) Disputed(
        AccountFunds payee, PaymentFacts payment, string reason = DisputeReasons.NotReceived)
    {
        var opened = payee.Disputes(payment, Dispute(reason)).Only<DisputeOpened>();
        return (payee.Given([opened]), payment with { OpenDisputeId = opened.DisputeId }, opened.Facts(), opened);
    }

    /// <summary>What <paramref name="events"/> moved in or out of one account's buckets in one currency, all buckets together.</summary>
    public static long NetFor(this IEnumerable<MoneyEvent> events, string account, string currency) =>
        events.SelectMany(e => e.Postings).Where(p => p.Account == account && p.Currency == currency).Sum(p => p.Amount);

    /// <summary>Double entry: in every currency the event's legs sum to zero, checked independently of the decider's own assertion.</summary>
    public static void ShouldNetToZeroInEachCurrency(this MoneyEvent e)
    {
        e.Postings.Should().NotBeEmpty("{0} moves money", e.GetType().Name);
        foreach (var currency in e.Postings.Select(p => p.Currency).Distinct())
        {
            e.Postings.Where(p => p.Currency == currency).Sum(p => p.Amount).Should().Be(0, "{0} must balance in {1}", e.GetType().Name, currency);
        }

        Postings.AssertBalanced(e.Postings).Should().BeSameAs(e.Postings);
    }
}
