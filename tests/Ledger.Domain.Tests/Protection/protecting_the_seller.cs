using Ledger.Domain.Accounts;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Domain.Protection;
using static Ledger.Domain.Tests.Payments.MoneySpec;
using static Ledger.Domain.Tests.Protection.ProtectionSpec;

namespace Ledger.Domain.Tests.Protection;

/// <summary>
/// Alice says she never made her 100.00 USD purchase (<c>unauthorized</c>) and support finds for her. Bob is active,
/// owes nothing and the payment scored 10% (policy maximum 50%): the reserve pays Alice and Bob keeps his money.
/// </summary>
public class protecting_the_seller
{
    private static readonly (AccountFunds Payee, PaymentFacts Payment, DisputeFacts Dispute, DisputeOpened Opened) Given =
        Disputed(Bobs(Usd(10_000)), Purchase(), DisputeReasons.Unauthorized);

    private static DisputeResolved ForTheBuyer(AccountFunds? payee = null, PaymentFacts? payment = null, DisputeFacts? dispute = null, ProtectionPolicy? policy = null, string to = AliceAccount) =>
        (payee ?? Given.Payee).Resolves(payment ?? Given.Payment, dispute ?? Given.Dispute, Resolve("buyer"), to, policy).Only<DisputeResolved>();

    private static void ShouldBeAPlainChargeback(DisputeResolved resolved)
    {
        resolved.SellerProtected.Should().BeFalse();
        resolved.Postings.Should().Equal(Leg(BobAccount, Usd(-10_000), Bucket.Held), Leg(AliceAccount, Usd(10_000)));
    }

    [Fact]
    public void an_eligible_seller_is_protected_and_the_buyer_is_paid_from_the_reserve()
    {
        var resolved = ForTheBuyer();

        resolved.Should().BeEquivalentTo(new { Outcome = "buyer", SellerProtected = true, ReturnedAmount = 10_000L, ReturnedCurrency = "USD", ReceivableCancelled = 0L });
        resolved.Postings.Should().Equal(
            Leg(BobAccount, Usd(-10_000), Bucket.Held),
            Leg(BobAccount, Usd(10_000), Bucket.Available),
            Leg(Reserve, Usd(-10_000)),
            Leg(AliceAccount, Usd(10_000)));
    }

    [Fact]
    public void afterwards_the_seller_keeps_the_money_the_buyer_has_it_back_and_the_reserve_bears_the_loss()
    {
        var resolved = ForTheBuyer();

        Given.Payee.Given([resolved]).BalanceIn("USD").Should().Be(new Balance(10_000, 0, 0));
        Given.Payee.Given([resolved]).Owed.Should().BeEmpty();
        Alices().Given([resolved]).BalanceIn("USD").Should().Be(new Balance(10_000, 0, 0));
        new MoneyEvent[] { Given.Opened, resolved }.NetFor(Reserve, "USD").Should().Be(-10_000);
    }

    [Fact]
    public void the_eligibility_rule_holds_for_this_dispute() =>
        ProtectionDecider.SellerProtected(Given.Payee, Given.Payment, Given.Dispute, Policy).Should().BeTrue();

    [Fact]
    public void a_risk_score_exactly_at_the_policys_maximum_still_qualifies() =>
        ForTheBuyer(payment: Given.Payment with { RiskScoreBasisPoints = 5_000 }).SellerProtected.Should().BeTrue();

    [Fact]
    public void a_payment_never_scored_counts_as_unflagged() =>
        ForTheBuyer(payment: Given.Payment with { RiskScoreBasisPoints = null }).SellerProtected.Should().BeTrue();

    [Fact]
    public void a_risk_score_above_the_policys_maximum_makes_it_a_plain_chargeback() =>
        ShouldBeAPlainChargeback(ForTheBuyer(payment: Given.Payment with { RiskScoreBasisPoints = 5_001 }));

    [Fact]
    public void the_maximum_score_is_the_policys() =>
        ShouldBeAPlainChargeback(ForTheBuyer(policy: Policy with { SellerProtectionMaxRiskBasisPoints = 999 }));

    [Fact]
    public void a_seller_who_owes_the_reserve_in_any_currency_is_not_protected() =>
        ShouldBeAPlainChargeback(ForTheBuyer(payee: Given.Payee.Owe("EUR", 1)));

    [Theory]
    [InlineData(AccountStatus.Suspended)]
    [InlineData(AccountStatus.Closed)]
    public void a_seller_no_longer_active_is_not_protected(AccountStatus status) =>
        ShouldBeAPlainChargeback(ForTheBuyer(payee: Given.Payee with { Status = status }));

    [Theory]
    [InlineData(DisputeReasons.NotReceived)]
    [InlineData(DisputeReasons.NotAsDescribed)]
    public void a_dispute_for_another_reason_is_a_plain_chargeback(string reason) =>
        ShouldBeAPlainChargeback(ForTheBuyer(dispute: Given.Dispute with { Reason = reason }));

    [Fact]
    public void a_personal_payment_does_not_qualify() =>
        ProtectionDecider.SellerProtected(Given.Payee, Given.Payment with { Purpose = MoneyDecider.Personal }, Given.Dispute, Policy).Should().BeFalse();

    [Fact]
    public void found_for_the_seller_an_unauthorized_dispute_just_releases_the_hold()
    {
        var resolved = Given.Payee.Resolves(Given.Payment, Given.Dispute, Resolve("seller")).Only<DisputeResolved>();

        resolved.SellerProtected.Should().BeFalse();
        resolved.ReturnedAmount.Should().Be(0);
        resolved.Postings.Should().Equal(Leg(BobAccount, Usd(-10_000), Bucket.Held), Leg(BobAccount, Usd(10_000), Bucket.Available));
    }

    [Fact]
    public void with_the_buyer_in_another_shard_the_reserve_pays_into_transit() =>
        ForTheBuyer(to: SystemAccounts.Transit).Postings.Should().Equal(
            Leg(BobAccount, Usd(-10_000), Bucket.Held),
            Leg(BobAccount, Usd(10_000), Bucket.Available),
            Leg(Reserve, Usd(-10_000)),
            Leg(SystemAccounts.Transit, Usd(10_000)));

    [Fact]
    public void across_currencies_the_reserve_pays_in_what_the_seller_received_and_the_buyer_gets_every_dollar()
    {
        var given = Disputed(Bobs(Jpy(14_925)), UsdToJpyPurchase(), DisputeReasons.Unauthorized);

        var resolved = ForTheBuyer(given.Payee, given.Payment, given.Dispute);

        resolved.SellerProtected.Should().BeTrue();
        resolved.ReturnedAmount.Should().Be(10_000);
        resolved.Postings.Should().Equal(
            Leg(BobAccount, Jpy(-14_925), Bucket.Held),
            Leg(BobAccount, Jpy(14_925), Bucket.Available),
            Leg(Reserve, Jpy(-14_925)),
            Leg(SystemAccounts.Fx, Jpy(14_925)),
            Leg(SystemAccounts.Fx, Usd(-10_000)),
            Leg(AliceAccount, Usd(10_000)));
        resolved.ShouldNetToZeroInEachCurrency();
    }

    [Fact]
    public void a_protected_resolution_nets_to_zero() =>
        ForTheBuyer().ShouldNetToZeroInEachCurrency();
}
