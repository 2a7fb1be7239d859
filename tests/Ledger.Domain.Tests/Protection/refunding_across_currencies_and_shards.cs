using Ledger.Domain.Ledger;
using Ledger.Domain.Protection;
using static Ledger.Domain.Tests.Payments.MoneySpec;
using static Ledger.Domain.Tests.Protection.ProtectionSpec;

namespace Ledger.Domain.Tests.Protection;

/// <summary>
/// Alice paid 100.00 USD and Bob received 14,925 JPY. Refunds are asked in yen (what Bob has) and given back in
/// dollars at the payment's own effective rate, rounded down; a payer in another shard is reached through transit.
/// </summary>
public class refunding_across_currencies_and_shards
{
    private static readonly PaymentFacts Payment = UsdToJpyPurchase();
    private static readonly AccountFunds Payee = Bobs(Jpy(14_925));

    [Fact]
    public void a_partial_refund_in_yen_returns_dollars_at_the_payments_rate_rounded_down()
    {
        var refunded = Payee.Refunds(Payment, Refund(5_000)).Only<PaymentRefunded>();

        // 5,000 × 10,000 / 14,925 = 3,350.08 cents -> 3,350.
        refunded.Should().BeEquivalentTo(new { Amount = 5_000L, Currency = "JPY", ReturnedAmount = 3_350L, ReturnedCurrency = "USD", RefundedTotal = 5_000L });
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(149L)]
    [InlineData(150L)]
    [InlineData(7_462L)]
    [InlineData(14_924L)]
    public void a_first_partial_refund_returns_the_floor_of_amount_times_paid_over_settled(long yen) =>
        Payee.Refunds(Payment, Refund(yen)).Only<PaymentRefunded>().ReturnedAmount.Should().Be(yen * 10_000 / 14_925);

    [Fact]
    public void the_yen_go_to_the_fx_account_and_the_fx_account_pays_the_dollars_to_the_payer() =>
        Payee.Refunds(Payment, Refund(5_000)).Only<PaymentRefunded>().Postings.Should().Equal(
            Leg(BobAccount, Jpy(-5_000)),
            Leg(SystemAccounts.Fx, Jpy(5_000)),
            Leg(SystemAccounts.Fx, Usd(-3_350)),
            Leg(AliceAccount, Usd(3_350)));

    [Fact]
    public void a_full_refund_returns_every_dollar_the_payer_paid_spread_included()
    {
        var refunded = Payee.Refunds(Payment, Refund()).Only<PaymentRefunded>();

        refunded.Amount.Should().Be(14_925);
        refunded.ReturnedAmount.Should().Be(10_000);
        Alices().Given([refunded]).BalanceIn("USD").Should().Be(new Balance(10_000, 0, 0));
        Payee.Given([refunded]).BalanceIn("JPY").Should().Be(default(Balance));
    }

    [Fact]
    public void partial_refunds_that_add_up_to_the_whole_payment_return_every_dollar_too()
    {
        var first = Payee.Refunds(Payment, Refund(7_000)).Only<PaymentRefunded>();
        var rest = Payee.Given([first]).Refunds(Payment with { Status = ProtectionDecider.PartiallyRefunded, Refunded = first.RefundedTotal }, Refund(refundId: "rfd_2"))
            .Only<PaymentRefunded>();

        first.ReturnedAmount.Should().Be(4_690);
        rest.Amount.Should().Be(7_925);
        rest.RefundedTotal.Should().Be(14_925);
        (first.ReturnedAmount + rest.ReturnedAmount).Should().Be(10_000, "refunding everything in two parts gives back what one full refund would");
    }

    [Fact]
    public void a_refund_worth_less_than_a_cent_takes_the_yen_and_gives_no_dollars_yet_stays_balanced()
    {
        var refunded = Payee.Refunds(Payment, Refund(1)).Only<PaymentRefunded>();

        refunded.ReturnedAmount.Should().Be(0);
        refunded.Postings.Should().Equal(Leg(BobAccount, Jpy(-1)), Leg(SystemAccounts.Fx, Jpy(1)));
        refunded.ShouldNetToZeroInEachCurrency();
    }

    [Fact]
    public void a_cross_currency_refund_nets_to_zero_in_each_currency() =>
        Payee.Refunds(Payment, Refund(5_000)).Only<PaymentRefunded>().ShouldNetToZeroInEachCurrency();

    [Fact]
    public void with_the_payer_in_another_shard_the_payers_leg_goes_to_transit() =>
        Bobs(Usd(10_000)).Refunds(Purchase(), Refund(2_500), to: SystemAccounts.Transit).Only<PaymentRefunded>().Postings.Should().Equal(
            Leg(BobAccount, Usd(-2_500)),
            Leg(SystemAccounts.Transit, Usd(2_500)));

    [Fact]
    public void with_the_payer_in_another_shard_the_converted_dollars_go_to_transit() =>
        Payee.Refunds(Payment, Refund(), to: SystemAccounts.Transit).Only<PaymentRefunded>().Postings.Should().Equal(
            Leg(BobAccount, Jpy(-14_925)),
            Leg(SystemAccounts.Fx, Jpy(14_925)),
            Leg(SystemAccounts.Fx, Usd(-10_000)),
            Leg(SystemAccounts.Transit, Usd(10_000)));

    [Fact]
    public void through_transit_the_payers_balance_is_untouched_until_its_shard_returns_the_funds()
    {
        var refunded = Bobs(Usd(10_000)).Refunds(Purchase(), Refund(), to: SystemAccounts.Transit).Only<PaymentRefunded>();

        Alices().Given([refunded]).BalanceIn("USD").Should().Be(default(Balance));
        refunded.PayerAccountId.Should().Be(AliceAccount, "the payer's shard needs to know whom to credit");
    }
}
