using Ledger.Domain.Accounts;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Domain.Protection;
using static Ledger.Domain.Tests.Payments.MoneySpec;
using static Ledger.Domain.Tests.Protection.ProtectionSpec;

namespace Ledger.Domain.Tests.Protection;

/// <summary>Bob's shard sent a refund of 25.00 USD for Alice to transit; Alice's shard now credits it, or parks it in suspense.</summary>
public class returning_funds_across_shards
{
    private static ReturnFunds Return(string kind = "refund") => new("rfd_1", PaymentId, AliceAccount, Usd(2_500), kind, Later);

    [Fact]
    public void an_active_payer_is_credited_from_transit()
    {
        var returned = ProtectionDecider.Decide(Alices(), Return()).Only<FundsReturned>();

        returned.Should().BeEquivalentTo(new
        {
            StreamId = "rfd_1",
            PaymentId,
            AccountId = AliceAccount,
            Amount = 2_500L,
            Currency = "USD",
            Kind = "refund",
            ToSuspense = false,
            At = Later,
        });
        returned.Postings.Should().Equal(Leg(SystemAccounts.Transit, Usd(-2_500)), Leg(AliceAccount, Usd(2_500)));
    }

    [Fact]
    public void afterwards_the_payer_has_the_money_with_one_history_entry()
    {
        var decision = ProtectionDecider.Decide(Alices(Usd(100)), Return());

        Alices(Usd(100)).Given(decision.Events).BalanceIn("USD").Should().Be(new Balance(2_600, 0, 0));
        Alices(Usd(100)).Given(decision.Events).EntryCount.Should().Be(Alices(Usd(100)).EntryCount + 1);
    }

    [Theory]
    [InlineData("refund")]
    [InlineData("chargeback")]
    [InlineData("seller_protection")]
    public void the_kind_of_return_is_kept(string kind) =>
        ProtectionDecider.Decide(Alices(), Return(kind)).Only<FundsReturned>().Kind.Should().Be(kind);

    [Theory]
    [InlineData(AccountStatus.Suspended)]
    [InlineData(AccountStatus.Closed)]
    public void a_payer_that_can_no_longer_receive_has_it_parked_in_suspense(AccountStatus status)
    {
        var payer = Funded(AliceAccount, "alice", status);

        var returned = ProtectionDecider.Decide(payer, Return()).Only<FundsReturned>();

        returned.ToSuspense.Should().BeTrue();
        returned.AccountId.Should().Be(AliceAccount, "operations needs to know whose money it is");
        returned.Postings.Should().Equal(Leg(SystemAccounts.Transit, Usd(-2_500)), Leg(SystemAccounts.Suspense, Usd(2_500)));
        payer.Given([returned]).BalanceIn("USD").Should().Be(default(Balance));
    }

    [Fact]
    public void a_payer_that_no_longer_exists_has_it_parked_in_suspense()
    {
        var returned = ProtectionDecider.Decide(null, Return()).Only<FundsReturned>();

        returned.ToSuspense.Should().BeTrue();
        returned.Postings.Should().Equal(Leg(SystemAccounts.Transit, Usd(-2_500)), Leg(SystemAccounts.Suspense, Usd(2_500)));
    }

    [Fact]
    public void what_the_payees_shard_sent_to_transit_is_exactly_what_the_payers_shard_takes_out()
    {
        var refunded = Bobs(Usd(10_000)).Refunds(Purchase(), Refund(2_500), to: SystemAccounts.Transit).Only<PaymentRefunded>();
        var returned = ProtectionDecider.Decide(Alices(), new ReturnFunds(refunded.RefundId, PaymentId, refunded.PayerAccountId,
            new(refunded.ReturnedAmount, refunded.ReturnedCurrency), "refund", Later)).Only<FundsReturned>();

        new MoneyEvent[] { refunded, returned }.NetFor(SystemAccounts.Transit, "USD").Should().Be(0);
        Alices().Given([refunded, returned]).BalanceIn("USD").Should().Be(new Balance(2_500, 0, 0));
    }

    [Fact]
    public void a_return_nets_to_zero()
    {
        ProtectionDecider.Decide(Alices(), Return()).Only<FundsReturned>().ShouldNetToZeroInEachCurrency();
        ProtectionDecider.Decide(null, Return()).Only<FundsReturned>().ShouldNetToZeroInEachCurrency();
    }
}
