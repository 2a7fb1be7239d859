using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Domain.Protection;
using static Ledger.Domain.Tests.Payments.MoneySpec;
using static Ledger.Domain.Tests.Protection.ProtectionSpec;

namespace Ledger.Domain.Tests.Protection;

/// <summary>Alice disputes her 100.00 USD purchase from Bob: the amount is held in Bob's balance, the reserve covering any shortfall.</summary>
public class disputing_a_purchase
{
    private static readonly AccountFunds Payee = Bobs(Usd(10_000));

    [Fact]
    public void the_payer_opens_a_dispute_on_a_purchase_inside_the_window()
    {
        var opened = Payee.Disputes(Purchase(), Dispute()).Only<DisputeOpened>();

        opened.Should().BeEquivalentTo(new
        {
            DisputeId,
            PaymentId,
            PayerAccountId = AliceAccount,
            PayeeAccountId = BobAccount,
            Reason = DisputeReasons.NotReceived,
            Details = "the parcel never came",
            Amount = 10_000L,
            Currency = "USD",
            FromPayee = 10_000L,
            FromReserve = 0L,
            At = Later,
        });
    }

    [Fact]
    public void the_disputed_amount_moves_from_the_payees_available_to_their_held() =>
        Payee.Disputes(Purchase(), Dispute()).Only<DisputeOpened>().Postings.Should().Equal(
            Leg(BobAccount, Usd(-10_000), Bucket.Available),
            Leg(BobAccount, Usd(10_000), Bucket.Held));

    [Fact]
    public void afterwards_the_payee_holds_it_owes_nothing_and_has_no_new_history_entry()
    {
        var after = Payee.Given(Payee.Disputes(Purchase(), Dispute()).Events);

        after.BalanceIn("USD").Should().Be(new Balance(0, 0, 10_000));
        after.Owed.Should().BeEmpty();
        after.EntryCount.Should().Be(Payee.EntryCount);
    }

    [Theory]
    [InlineData(DisputeReasons.NotReceived)]
    [InlineData(DisputeReasons.NotAsDescribed)]
    [InlineData(DisputeReasons.Unauthorized)]
    public void each_documented_reason_is_accepted(string reason) =>
        Payee.Disputes(Purchase(), Dispute(reason)).Only<DisputeOpened>().Reason.Should().Be(reason);

    [Fact]
    public void what_was_already_refunded_is_not_disputed()
    {
        var opened = Payee.Disputes(Purchase() with { Status = ProtectionDecider.PartiallyRefunded, Refunded = 2_500 }, Dispute()).Only<DisputeOpened>();

        opened.Amount.Should().Be(7_500);
        opened.FromPayee.Should().Be(7_500);
    }

    [Fact]
    public void a_cross_currency_purchase_is_disputed_in_what_the_payee_received() =>
        Bobs(Jpy(14_925)).Disputes(UsdToJpyPurchase(), Dispute()).Only<DisputeOpened>()
            .Should().BeEquivalentTo(new { Amount = 14_925L, Currency = "JPY", FromPayee = 14_925L, FromReserve = 0L });

    [Fact]
    public void a_shortfall_is_held_from_the_protection_reserve()
    {
        var opened = Bobs(Usd(3_000)).Disputes(Purchase(), Dispute()).Only<DisputeOpened>();

        opened.FromPayee.Should().Be(3_000);
        opened.FromReserve.Should().Be(7_000);
        opened.Postings.Should().Equal(
            Leg(BobAccount, Usd(-3_000), Bucket.Available),
            Leg(BobAccount, Usd(3_000), Bucket.Held),
            Leg(Reserve, Usd(-7_000), Bucket.Available),
            Leg(BobAccount, Usd(7_000), Bucket.Held));
    }

    [Fact]
    public void after_a_shortfall_the_payee_holds_the_whole_amount_never_goes_negative_and_owes_the_shortfall()
    {
        var payee = Bobs(Usd(3_000));
        var after = payee.Given(payee.Disputes(Purchase(), Dispute()).Events);

        after.BalanceIn("USD").Should().Be(new Balance(0, 0, 10_000));
        after.Owed.Should().Equal(new Dictionary<string, long> { ["USD"] = 7_000 });
        after.EntryCount.Should().Be(payee.EntryCount + 1, "the reserve's money is new to the payee's total");
    }

    [Fact]
    public void a_payee_with_nothing_has_it_all_held_from_the_reserve()
    {
        var opened = Bobs().Disputes(Purchase(), Dispute()).Only<DisputeOpened>();

        opened.FromPayee.Should().Be(0);
        opened.Postings.Should().Equal(Leg(Reserve, Usd(-10_000)), Leg(BobAccount, Usd(10_000), Bucket.Held));
        Bobs().Given([opened]).Owed["USD"].Should().Be(10_000);
    }

    [Fact]
    public void a_second_shortfall_adds_to_what_the_payee_owes()
    {
        var owing = Bobs().Owe("USD", 1_500);

        owing.Given(owing.Disputes(Purchase(), Dispute()).Events).Owed["USD"].Should().Be(11_500);
    }

    [Fact]
    public void the_hold_changes_no_ones_balance_but_the_payees_and_the_reserves()
    {
        var opened = Bobs(Usd(3_000)).Disputes(Purchase(), Dispute()).Only<DisputeOpened>();

        opened.Postings.Select(p => p.Account).Distinct().Should().BeEquivalentTo(BobAccount, Reserve);
        var payer = Alices(Usd(1)).Given([opened]);
        payer.BalanceIn("USD").Should().Be(new Balance(1, 0, 0));
        payer.Owed.Should().BeEmpty("only the payee owes the reserve");
    }

    [Fact]
    public void a_dispute_nets_to_zero() =>
        Bobs(Usd(3_000)).Disputes(Purchase(), Dispute()).Only<DisputeOpened>().ShouldNetToZeroInEachCurrency();

    [Fact]
    public void a_personal_payment_is_refused_with_not_a_purchase() =>
        Payee.Disputes(Purchase() with { Purpose = MoneyDecider.Personal }, Dispute()).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.NotAPurchase);

    [Fact]
    public void at_the_last_instant_of_the_window_the_purchase_is_still_protected() =>
        Payee.Disputes(Purchase(), Dispute(at: CompletedAt + TimeSpan.FromDays(180))).ShouldSucceed();

    [Fact]
    public void one_tick_after_the_window_the_dispute_is_refused_with_protection_window_closed() =>
        Payee.Disputes(Purchase(), Dispute(at: CompletedAt + TimeSpan.FromDays(180) + TimeSpan.FromTicks(1)))
            .ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.ProtectionWindowClosed);

    [Fact]
    public void the_window_is_the_policys()
    {
        var policy = Policy with { Window = TimeSpan.FromDays(30) };

        Payee.Disputes(Purchase(), Dispute(at: CompletedAt.AddDays(30)), policy).ShouldSucceed();
        Payee.Disputes(Purchase(), Dispute(at: CompletedAt.AddDays(31)), policy).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.ProtectionWindowClosed);
    }

    [Fact]
    public void a_second_dispute_while_one_is_open_is_refused_with_dispute_open() =>
        Payee.Disputes(Purchase() with { OpenDisputeId = "dsp_0" }, Dispute()).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.DisputeOpen);

    [Theory]
    [InlineData("pending")]
    [InlineData("in_review")]
    [InlineData("processing")]
    [InlineData("rejected")]
    [InlineData("failed")]
    [InlineData("refunded")]
    [InlineData("charged_back")]
    public void a_payment_that_is_not_completed_is_refused_with_payment_not_disputable(string status) =>
        Payee.Disputes(Purchase() with { Status = status }, Dispute()).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.PaymentNotDisputable);

    [Fact]
    public void a_payment_without_a_completion_time_is_refused_with_payment_not_disputable() =>
        Payee.Disputes(Purchase() with { CompletedAt = null }, Dispute()).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.PaymentNotDisputable);

    [Theory]
    [InlineData("")]
    [InlineData("changed_my_mind")]
    [InlineData("Unauthorized")]
    public void an_unknown_reason_is_refused_as_invalid(string reason) =>
        Payee.Disputes(Purchase(), Dispute(reason)).ShouldFailWith(ErrorKind.Validation, ErrorCodes.ValidationFailed);

    [Fact]
    public void the_payee_may_not_dispute_a_payment_they_received() =>
        Payee.Disputes(Purchase(), Dispute(by: Bob)).ShouldFailWith(ErrorKind.Forbidden, ErrorCodes.Forbidden);

    [Fact]
    public void support_does_not_dispute_on_the_payers_behalf() =>
        Payee.Disputes(Purchase(), Dispute(by: Support)).ShouldFailWith(ErrorKind.Forbidden, ErrorCodes.Forbidden);

    [Fact]
    public void a_stranger_is_told_the_payment_does_not_exist() =>
        Payee.Disputes(Purchase(), Dispute(by: Carol)).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Fact]
    public void a_payment_or_payee_that_is_not_there_does_not_exist()
    {
        ProtectionDecider.Decide(Payee, null, Policy, Dispute()).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);
        ProtectionDecider.Decide(null, Purchase(), Policy, Dispute()).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);
    }
}
