using Ledger.Domain.Accounts;
using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using static Ledger.Domain.Tests.Payments.MoneySpec;

namespace Ledger.Domain.Tests.Payments;

public class paying_across_shards
{
    private static readonly AccountFunds Payer = Alices(Kwd(10_000));
    private static readonly AccountFunds Payee = Bobs();
    private static readonly Decision<MoneyEvent> Sent = Payer.PaysAcrossShards(Payee.Snapshot(), Payment(AliceAccount, BobAccount, Kwd(1_234)));

    private static CreditPayee Credit(Money.Money amount) => new(PaymentId, BobAccount, amount, T0.AddMinutes(2));

    private static ReversePayment Reverse(Money.Money amount) => new(PaymentId, AliceAccount, amount, "the payee account is not active", T0.AddMinutes(3));

    [Fact]
    public void an_approved_payment_leaves_the_payers_shard_for_transit() =>
        Sent.Types().Should().Equal(
            typeof(PaymentInitiated), typeof(PaymentFundsReserved), typeof(PaymentRiskAssessed), typeof(PaymentSentToPayee));

    [Fact]
    public void the_reserve_moves_from_the_payers_pending_to_the_transit_account()
    {
        var sent = Sent.Only<PaymentSentToPayee>();
        sent.PayeeAccountId.Should().Be(BobAccount);
        sent.Postings.Should().Equal(
            Leg(AliceAccount, Kwd(-1_234), Bucket.Pending),
            Leg(SystemAccounts.Transit, Kwd(1_234), Bucket.Available));
    }

    [Fact]
    public void meanwhile_the_money_is_in_no_customers_balance()
    {
        Payer.Given(Sent.Events).BalanceIn("KWD").Should().Be(new Balance(8_766, 0, 0));
        Payee.Given(Sent.Events).BalanceIn("KWD").Should().Be(default(Balance));
    }

    [Fact]
    public void the_payees_shard_credits_it_from_transit()
    {
        var decision = MoneyDecider.Decide(Payee, Credit(Kwd(1_234)));

        decision.Events.Should().ContainSingle().Which.Should().BeOfType<PaymentCompleted>()
            .Which.Postings.Should().Equal(
                Leg(SystemAccounts.Transit, Kwd(-1_234)),
                Leg(BobAccount, Kwd(1_234)));
        Payee.Given(decision.Events).BalanceIn("KWD").Should().Be(new Balance(1_234, 0, 0));
    }

    [Theory]
    [InlineData(AccountStatus.Suspended)]
    [InlineData(AccountStatus.Closed)]
    public void a_payee_that_is_no_longer_active_refuses_the_credit_without_moving_money(AccountStatus status)
    {
        var decision = MoneyDecider.Decide(Funded(BobAccount, "bob", status), Credit(Kwd(1_234)));

        var refused = decision.Events.Should().ContainSingle().Which.Should().BeOfType<PaymentCreditRefused>().Subject;
        refused.PaymentId.Should().Be(PaymentId);
        refused.Postings.Should().BeEmpty();
    }

    [Fact]
    public void a_payee_the_shard_does_not_know_refuses_the_credit_too() =>
        MoneyDecider.Decide(null, Credit(Kwd(1_234))).Events.Should().ContainSingle().Which.Should().BeOfType<PaymentCreditRefused>();

    [Fact]
    public void a_refused_credit_is_reversed_from_transit_to_the_payers_available_balance()
    {
        var decision = MoneyDecider.Decide(Reverse(Kwd(1_234)));

        var reversed = decision.Events.Should().ContainSingle().Which.Should().BeOfType<PaymentReversed>().Subject;
        reversed.Postings.Should().Equal(
            Leg(SystemAccounts.Transit, Kwd(-1_234)),
            Leg(AliceAccount, Kwd(1_234)));
    }

    [Fact]
    public void after_a_reversal_the_payer_has_everything_back_and_transit_is_empty()
    {
        var transit = Account(SystemAccounts.Transit, owner: "system");
        var events = Sent.Events.Append(MoneyDecider.Decide(Reverse(Kwd(1_234))).Events.Single()).ToList();

        Payer.Given(events).BalanceIn("KWD").Should().Be(Payer.BalanceIn("KWD"));
        transit.Given(events).BalanceIn("KWD").Should().Be(default(Balance));
    }

    [Fact]
    public void after_a_credit_transit_is_empty_and_the_money_moved_exactly_once()
    {
        var transit = Account(SystemAccounts.Transit, owner: "system");
        var events = Sent.Events.Concat(MoneyDecider.Decide(Payee, Credit(Kwd(1_234))).Events).ToList();

        transit.Given(events).BalanceIn("KWD").Should().Be(default(Balance));
        Payer.Given(events).BalanceIn("KWD").Total.Should().Be(10_000 - 1_234);
        Payee.Given(events).BalanceIn("KWD").Total.Should().Be(1_234);
    }

    [Fact]
    public void the_payer_gets_one_entry_when_the_money_leaves_and_one_when_it_comes_back()
    {
        var sent = Payer.Given(Sent.Events);
        sent.EntryCount.Should().Be(Payer.EntryCount + 1);
        sent.Given(MoneyDecider.Decide(Reverse(Kwd(1_234))).Events).EntryCount.Should().Be(Payer.EntryCount + 2);
    }
}
