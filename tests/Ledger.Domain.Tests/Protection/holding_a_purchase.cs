using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Domain.Protection;
using static Ledger.Domain.Tests.Payments.MoneySpec;
using static Ledger.Domain.Tests.Protection.ProtectionSpec;

namespace Ledger.Domain.Tests.Protection;

/// <summary>The risk-hold lifecycle: none → held → released, and what may not happen while held.</summary>
public class holding_a_purchase
{
    private static readonly ProtectionPolicy NewPayees = Policy with { HoldNewPayeesFor = TimeSpan.FromDays(7), HoldPeriod = TimeSpan.FromDays(14) };
    private static readonly ProtectionPolicy RiskyPayments = Policy with { HoldAboveRiskBasisPoints = 7_000 };

    private static AccountFunds NewBob(DateTimeOffset opened) => Bobs(Usd(10_000)) with { CreatedAt = opened };

    [Fact]
    public void a_purchase_to_a_payee_younger_than_the_policy_is_held_for_the_hold_period()
    {
        var hold = ProtectionDecider.Hold(NewBob(CompletedAt.AddDays(-2)), "pay_1", MoneyDecider.Purchase, 0, Usd(10_000), NewPayees, CompletedAt)!;

        hold.Reason.Should().Be("new_payee");
        hold.HeldUntil.Should().Be(CompletedAt.AddDays(14));
        hold.Legs.Should().Equal(new Posting(BobAccount, "USD", -10_000, Bucket.Available), new Posting(BobAccount, "USD", 10_000, Bucket.Held));
        NewBob(CompletedAt.AddDays(-2)).Given([hold]).BalanceIn("USD").Should().Be(new Balance(0, 0, 10_000));
    }

    [Fact]
    public void an_established_payee_a_personal_payment_or_an_unflagged_one_is_not_held()
    {
        ProtectionDecider.Hold(NewBob(CompletedAt.AddDays(-8)), "pay_1", MoneyDecider.Purchase, 0, Usd(100), NewPayees, CompletedAt).Should().BeNull();
        ProtectionDecider.Hold(NewBob(CompletedAt), "pay_1", MoneyDecider.Personal, 0, Usd(100), NewPayees, CompletedAt).Should().BeNull();
        ProtectionDecider.Hold(NewBob(CompletedAt), "pay_1", MoneyDecider.Purchase, 9_999, Usd(100), Policy, CompletedAt).Should().BeNull("holds are off by default");
        ProtectionDecider.Hold(NewBob(CompletedAt.AddYears(-1)), "pay_1", MoneyDecider.Purchase, 7_000, Usd(100), RiskyPayments, CompletedAt).Should().BeNull("at the limit is not above it");
    }

    [Fact]
    public void a_high_risk_purchase_is_held_whatever_the_payees_age()
    {
        ProtectionDecider.Hold(NewBob(CompletedAt.AddYears(-1)), "pay_1", MoneyDecider.Purchase, 7_001, Usd(100), RiskyPayments, CompletedAt)!
            .Reason.Should().Be("high_risk");
    }

    [Fact]
    public void the_payer_releases_a_held_payment_into_the_payees_available_balance()
    {
        var held = Purchase() with { Held = true };
        var bob = Bobs() with { Balances = Bobs().Balances.SetItem("USD", new Balance(0, 0, 10_000)) };

        var released = ProtectionDecider.Decide(bob, held, new ReleaseHold("payer", Alice, Later)).Only<PaymentHoldReleased>();

        released.By.Should().Be("payer");
        bob.Given([released]).BalanceIn("USD").Should().Be(new Balance(10_000, 0, 0));
    }

    [Fact]
    public void support_may_release_too_but_the_payee_may_not_and_a_stranger_sees_nothing()
    {
        var held = Purchase() with { Held = true };
        ProtectionDecider.Decide(Bobs(), held, new ReleaseHold("support", Support, Later)).ShouldSucceed();
        ProtectionDecider.Decide(Bobs(), held, new ReleaseHold("payer", Bob, Later)).ShouldFailWith(ErrorKind.Forbidden, ErrorCodes.Forbidden);
        ProtectionDecider.Decide(Bobs(), held, new ReleaseHold("payer", Carol, Later)).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);
    }

    [Fact]
    public void releasing_a_payment_that_is_not_held_is_refused()
    {
        ProtectionDecider.Decide(Bobs(), Purchase(), new ReleaseHold("payer", Alice, Later)).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.PaymentNotHeld);
    }

    [Fact]
    public void a_held_payment_can_be_neither_refunded_nor_disputed()
    {
        var held = Purchase() with { Held = true };
        Bobs(Usd(20_000)).Refunds(held, Refund()).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.PaymentHeld);
        Bobs(Usd(20_000)).Disputes(held, Dispute()).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.PaymentHeld);
    }
}
