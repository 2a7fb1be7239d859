using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Domain.Protection;
using static Ledger.Domain.Tests.Payments.MoneySpec;
using static Ledger.Domain.Tests.Protection.ProtectionSpec;

namespace Ledger.Domain.Tests.Protection;

/// <summary>
/// Support decides Alice's <c>not_received</c> dispute of her 100.00 USD purchase from Bob: for the buyer (a chargeback)
/// or for the seller (the hold is released). <c>Covered</c>: Bob had it all; <c>Short</c>: Bob had 30.00, the reserve 70.00.
/// </summary>
public class resolving_a_dispute
{
    private static readonly (AccountFunds Payee, PaymentFacts Payment, DisputeFacts Dispute, DisputeOpened Opened) Covered = Disputed(Bobs(Usd(10_000)), Purchase());
    private static readonly (AccountFunds Payee, PaymentFacts Payment, DisputeFacts Dispute, DisputeOpened Opened) Short = Disputed(Bobs(Usd(3_000)), Purchase());

    private static Decision<MoneyEvent> Decide((AccountFunds Payee, PaymentFacts Payment, DisputeFacts Dispute, DisputeOpened Opened) given, ResolveDispute c, string to = AliceAccount) =>
        given.Payee.Resolves(given.Payment, given.Dispute, c, to);

    [Fact]
    public void for_the_buyer_the_held_amount_is_charged_back_to_the_payer()
    {
        var resolved = Decide(Covered, Resolve("buyer")).Only<DisputeResolved>();

        resolved.Should().BeEquivalentTo(new
        {
            DisputeId,
            PaymentId,
            Outcome = "buyer",
            SellerProtected = false,
            Note = "checked the tracking",
            ResolvedBy = "sam",
            ReturnedAmount = 10_000L,
            ReturnedCurrency = "USD",
            ReceivableCancelled = 0L,
            PayeeAccountId = BobAccount,
            Currency = "USD",
        });
        resolved.Postings.Should().Equal(Leg(BobAccount, Usd(-10_000), Bucket.Held), Leg(AliceAccount, Usd(10_000)));
    }

    [Fact]
    public void after_a_chargeback_the_payee_has_nothing_held_and_the_payer_has_the_money_back()
    {
        var resolved = Decide(Covered, Resolve("buyer")).Events;

        Covered.Payee.Given(resolved).BalanceIn("USD").Should().Be(default(Balance));
        Alices().Given(resolved).BalanceIn("USD").Should().Be(new Balance(10_000, 0, 0));
    }

    [Fact]
    public void a_chargeback_covered_by_the_reserve_leaves_the_payee_owing_it()
    {
        var resolved = Decide(Short, Resolve("buyer")).Only<DisputeResolved>();
        var after = Short.Payee.Given([resolved]);

        resolved.Postings.Should().Equal(Leg(BobAccount, Usd(-10_000), Bucket.Held), Leg(AliceAccount, Usd(10_000)));
        resolved.ReceivableCancelled.Should().Be(0);
        after.BalanceIn("USD").Should().Be(default(Balance));
        after.Owed.Should().Equal(new Dictionary<string, long> { ["USD"] = 7_000 });
        after.ClosureBlockers().Should().Equal("it owes the protection reserve 7000 minor units of USD");
    }

    [Fact]
    public void for_the_seller_the_hold_is_released_to_the_payees_available()
    {
        var resolved = Decide(Covered, Resolve("seller")).Only<DisputeResolved>();

        resolved.Should().BeEquivalentTo(new { Outcome = "seller", SellerProtected = false, ReturnedAmount = 0L, ReceivableCancelled = 0L });
        resolved.Postings.Should().Equal(Leg(BobAccount, Usd(-10_000), Bucket.Held), Leg(BobAccount, Usd(10_000), Bucket.Available));
        Covered.Payee.Given([resolved]).BalanceIn("USD").Should().Be(new Balance(10_000, 0, 0));
    }

    [Fact]
    public void for_the_seller_the_reserves_share_goes_back_to_the_reserve_and_the_receivable_is_cancelled()
    {
        var resolved = Decide(Short, Resolve("seller")).Only<DisputeResolved>();
        var after = Short.Payee.Given([resolved]);

        resolved.Postings.Should().Equal(
            Leg(BobAccount, Usd(-3_000), Bucket.Held),
            Leg(BobAccount, Usd(3_000), Bucket.Available),
            Leg(BobAccount, Usd(-7_000), Bucket.Held),
            Leg(Reserve, Usd(7_000), Bucket.Available));
        resolved.ReceivableCancelled.Should().Be(7_000);
        after.BalanceIn("USD").Should().Be(new Balance(3_000, 0, 0));
        after.Owed.Should().BeEmpty();
        after.ClosureBlockers().Should().Equal("the USD balance is not zero (available 3000, pending 0, held 0 minor units)");
    }

    [Fact]
    public void a_dispute_resolved_for_the_seller_costs_the_reserve_nothing()
    {
        var resolved = Decide(Short, Resolve("seller")).Only<DisputeResolved>();

        new MoneyEvent[] { Short.Opened, resolved }.NetFor(Reserve, "USD").Should().Be(0);
    }

    [Fact]
    public void with_the_payer_in_another_shard_the_chargeback_goes_to_transit() =>
        Decide(Covered, Resolve("buyer"), to: SystemAccounts.Transit).Only<DisputeResolved>().Postings.Should().Equal(
            Leg(BobAccount, Usd(-10_000), Bucket.Held),
            Leg(SystemAccounts.Transit, Usd(10_000)));

    [Fact]
    public void a_cross_currency_chargeback_returns_every_dollar_the_payer_paid()
    {
        var given = Disputed(Bobs(Jpy(14_925)), UsdToJpyPurchase());

        var resolved = Decide(given, Resolve("buyer")).Only<DisputeResolved>();

        resolved.Should().BeEquivalentTo(new { ReturnedAmount = 10_000L, ReturnedCurrency = "USD", Currency = "JPY" });
        resolved.Postings.Should().Equal(
            Leg(BobAccount, Jpy(-14_925), Bucket.Held),
            Leg(SystemAccounts.Fx, Jpy(14_925)),
            Leg(SystemAccounts.Fx, Usd(-10_000)),
            Leg(AliceAccount, Usd(10_000)));
    }

    [Fact]
    public void a_chargeback_after_a_partial_refund_returns_the_rest_of_what_the_payer_paid()
    {
        // The first refund of 7,000 JPY gave back 46.90 USD; the chargeback of the remaining 7,925 JPY gives back 53.10.
        var refunded = Bobs(Jpy(14_925)).Refunds(UsdToJpyPurchase(), Refund(7_000)).Only<PaymentRefunded>();
        var given = Disputed(Bobs(Jpy(14_925)).Given([refunded]), UsdToJpyPurchase() with { Status = ProtectionDecider.PartiallyRefunded, Refunded = 7_000 });

        var resolved = Decide(given, Resolve("buyer")).Only<DisputeResolved>();

        given.Opened.Amount.Should().Be(7_925);
        (refunded.ReturnedAmount + resolved.ReturnedAmount).Should().Be(10_000);
    }

    [Theory]
    [InlineData("buyer")]
    [InlineData("seller")]
    public void a_resolution_nets_to_zero(string outcome)
    {
        Decide(Short, Resolve(outcome)).Only<DisputeResolved>().ShouldNetToZeroInEachCurrency();
        Decide(Disputed(Bobs(Jpy(3_000)), UsdToJpyPurchase()), Resolve(outcome)).Only<DisputeResolved>().ShouldNetToZeroInEachCurrency();
    }

    [Fact]
    public void the_payer_may_not_resolve_their_own_dispute() =>
        Decide(Covered, Resolve("buyer", by: Alice)).ShouldFailWith(ErrorKind.Forbidden, ErrorCodes.Forbidden);

    [Fact]
    public void the_payee_may_not_resolve_it_either() =>
        Decide(Covered, Resolve("seller", by: Bob)).ShouldFailWith(ErrorKind.Forbidden, ErrorCodes.Forbidden);

    [Fact]
    public void a_stranger_is_told_the_dispute_does_not_exist() =>
        Decide(Covered, Resolve("buyer", by: Carol)).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Fact]
    public void a_dispute_payment_or_payee_that_is_not_there_does_not_exist()
    {
        ProtectionDecider.Decide(Covered.Payee, Covered.Payment, null, Policy, AliceAccount, Resolve("buyer")).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);
        ProtectionDecider.Decide(Covered.Payee, null, Covered.Dispute, Policy, AliceAccount, Resolve("buyer")).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);
        ProtectionDecider.Decide(null, Covered.Payment, Covered.Dispute, Policy, AliceAccount, Resolve("buyer")).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);
    }

    [Theory]
    [InlineData("")]
    [InlineData("refund")]
    [InlineData("Buyer")]
    public void an_unknown_outcome_is_refused_as_invalid(string outcome) =>
        Decide(Covered, Resolve(outcome)).ShouldFailWith(ErrorKind.Validation, ErrorCodes.ValidationFailed);

    [Theory]
    [InlineData(DisputeStatuses.ResolvedBuyer, "buyer")]
    [InlineData(DisputeStatuses.ResolvedBuyer, "seller")]
    [InlineData(DisputeStatuses.ResolvedSeller, "buyer")]
    public void a_dispute_already_resolved_is_refused_with_dispute_not_open(string status, string outcome) =>
        Covered.Payee.Resolves(Covered.Payment, Covered.Opened.Facts(status), Resolve(outcome)).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.DisputeNotOpen);
}
