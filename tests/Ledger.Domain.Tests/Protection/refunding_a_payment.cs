using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Protection;
using static Ledger.Domain.Tests.Payments.MoneySpec;
using static Ledger.Domain.Tests.Protection.ProtectionSpec;

namespace Ledger.Domain.Tests.Protection;

/// <summary>Bob, the payee, gives back all or part of Alice's 100.00 USD; both accounts live in one shard.</summary>
public class refunding_a_payment
{
    private static readonly AccountFunds Payee = Bobs(Usd(10_000));
    private static readonly AccountFunds Payer = Alices();

    [Fact]
    public void a_full_refund_by_the_payee_gives_back_the_whole_payment()
    {
        var refunded = Payee.Refunds(Purchase(), Refund()).Only<PaymentRefunded>();

        refunded.Should().BeEquivalentTo(new
        {
            RefundId = "rfd_1",
            PaymentId,
            PayeeAccountId = BobAccount,
            PayerAccountId = AliceAccount,
            Amount = 10_000L,
            Currency = "USD",
            ReturnedAmount = 10_000L,
            ReturnedCurrency = "USD",
            Reason = "returned goods",
            RefundedTotal = 10_000L,
            RefundedBy = "bob",
            At = Later,
        });
    }

    [Fact]
    public void a_refund_moves_the_money_from_the_payees_available_to_the_payers_available() =>
        Payee.Refunds(Purchase(), Refund(2_500)).Only<PaymentRefunded>().Postings.Should().Equal(
            Leg(BobAccount, Usd(-2_500)),
            Leg(AliceAccount, Usd(2_500)));

    [Fact]
    public void afterwards_the_payee_has_less_and_the_payer_has_it_back_each_with_one_history_entry()
    {
        var decision = Payee.Refunds(Purchase(), Refund(2_500));

        Payee.Given(decision.Events).BalanceIn("USD").Should().Be(new Balance(7_500, 0, 0));
        Payer.Given(decision.Events).BalanceIn("USD").Should().Be(new Balance(2_500, 0, 0));
        Payee.Given(decision.Events).EntryCount.Should().Be(Payee.EntryCount + 1);
        Payer.Given(decision.Events).EntryCount.Should().Be(Payer.EntryCount + 1);
    }

    [Fact]
    public void a_partial_refund_gives_back_only_the_amount_asked()
    {
        var refunded = Payee.Refunds(Purchase(), Refund(2_500)).Only<PaymentRefunded>();

        refunded.Amount.Should().Be(2_500);
        refunded.ReturnedAmount.Should().Be(2_500);
        refunded.RefundedTotal.Should().Be(2_500);
    }

    [Fact]
    public void the_refunded_total_accumulates_over_partial_refunds()
    {
        var once = Purchase() with { Status = ProtectionDecider.PartiallyRefunded, Refunded = 2_500 };

        Payee.Refunds(once, Refund(3_000, refundId: "rfd_2")).Only<PaymentRefunded>().RefundedTotal.Should().Be(5_500);
    }

    [Fact]
    public void a_refund_without_an_amount_gives_back_what_is_left()
    {
        var once = Purchase() with { Status = ProtectionDecider.PartiallyRefunded, Refunded = 2_500 };

        var refunded = Payee.Refunds(once, Refund()).Only<PaymentRefunded>();

        refunded.Amount.Should().Be(7_500);
        refunded.RefundedTotal.Should().Be(10_000);
    }

    [Fact]
    public void the_last_cent_left_may_be_refunded()
    {
        var once = Purchase() with { Status = ProtectionDecider.PartiallyRefunded, Refunded = 9_999 };

        Payee.Refunds(once, Refund(1)).Only<PaymentRefunded>().RefundedTotal.Should().Be(10_000);
    }

    [Fact]
    public void support_may_refund_on_the_payees_behalf()
    {
        var refunded = Payee.Refunds(Purchase(), Refund(by: Support)).Only<PaymentRefunded>();

        refunded.RefundedBy.Should().Be("sam");
        refunded.Postings.Should().Equal(Leg(BobAccount, Usd(-10_000)), Leg(AliceAccount, Usd(10_000)));
    }

    [Fact]
    public void the_payer_may_not_refund_their_own_payment() =>
        Payee.Refunds(Purchase(), Refund(by: Alice)).ShouldFailWith(ErrorKind.Forbidden, ErrorCodes.Forbidden);

    [Fact]
    public void a_stranger_is_told_the_payment_does_not_exist() =>
        Payee.Refunds(Purchase(), Refund(by: Carol)).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Fact]
    public void a_stranger_learns_nothing_else_about_the_payment_either() =>
        Payee.Refunds(Purchase() with { Status = "pending" }, Refund(99_999, by: Carol)).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Fact]
    public void a_payment_or_payee_that_is_not_there_does_not_exist()
    {
        ProtectionDecider.Decide(Payee, null, AliceAccount, Refund()).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);
        ProtectionDecider.Decide(null, Purchase(), AliceAccount, Refund()).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);
    }

    [Theory]
    [InlineData("pending")]
    [InlineData("in_review")]
    [InlineData("processing")]
    [InlineData("rejected")]
    [InlineData("failed")]
    [InlineData("refunded")]
    [InlineData("charged_back")]
    public void a_payment_that_is_neither_completed_nor_partially_refunded_is_refused_with_payment_not_refundable(string status) =>
        Payee.Refunds(Purchase() with { Status = status }, Refund(100)).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.PaymentNotRefundable);

    [Fact]
    public void a_partially_refunded_payment_may_be_refunded_again() =>
        Payee.Refunds(Purchase() with { Status = ProtectionDecider.PartiallyRefunded, Refunded = 100 }, Refund(100)).ShouldSucceed();

    [Fact]
    public void a_payment_under_dispute_is_refused_with_dispute_open() =>
        Payee.Refunds(Purchase() with { OpenDisputeId = "dsp_0" }, Refund(100)).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.DisputeOpen);

    [Theory]
    [InlineData(0L, 10_001L)]
    [InlineData(2_500L, 7_501L)]
    [InlineData(9_999L, 2L)]
    public void a_refund_beyond_what_is_left_is_refused_with_refund_exceeds_payment(long alreadyRefunded, long asked)
    {
        var payment = Purchase() with { Status = alreadyRefunded == 0 ? ProtectionDecider.Completed : ProtectionDecider.PartiallyRefunded, Refunded = alreadyRefunded };

        Payee.Refunds(payment, Refund(asked)).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.RefundExceedsPayment);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(-10_000L)]
    public void a_refund_of_zero_or_less_is_refused_as_invalid(long asked) =>
        Payee.Refunds(Purchase(), Refund(asked)).ShouldFailWith(ErrorKind.Validation, ErrorCodes.ValidationFailed);

    [Fact]
    public void a_payee_short_of_available_funds_is_refused_with_insufficient_funds() =>
        Bobs(Usd(9_999)).Refunds(Purchase(), Refund()).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.InsufficientFunds);

    [Fact]
    public void money_the_payee_holds_in_another_currency_does_not_cover_a_refund() =>
        Bobs(Jpy(1_000_000)).Refunds(Purchase(), Refund(100)).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.InsufficientFunds);

    [Fact]
    public void a_payee_with_exactly_the_amount_may_refund_it_all() =>
        Payee.Given(Payee.Refunds(Purchase(), Refund()).Events).BalanceIn("USD").Should().Be(default(Balance));

    [Fact]
    public void a_refund_nets_to_zero() =>
        Payee.Refunds(Purchase(), Refund(1_234)).Only<PaymentRefunded>().ShouldNetToZeroInEachCurrency();
}
