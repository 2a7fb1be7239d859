using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using static Ledger.Domain.Tests.Payments.MoneySpec;

namespace Ledger.Domain.Tests.Payments;

public class paying_within_a_shard
{
    private static readonly AccountFunds Payer = Alices(Usd(10_000));
    private static readonly AccountFunds Payee = Bobs(Usd(50));
    private static readonly Decision<MoneyEvent> Approved = Payer.PaysInShard(Payee, Payment(AliceAccount, BobAccount, Usd(2_500)));

    [Fact]
    public void an_approved_payment_is_initiated_reserved_assessed_and_completed_in_one_decision() =>
        Approved.Types().Should().Equal(
            typeof(PaymentInitiated), typeof(PaymentFundsReserved), typeof(PaymentRiskAssessed), typeof(PaymentCompleted));

    [Fact]
    public void the_initiation_records_who_pays_whom_how_much_and_why()
    {
        var initiated = Approved.Only<PaymentInitiated>();
        initiated.Should().BeEquivalentTo(new
        {
            PaymentId,
            PayerAccountId = AliceAccount,
            PayeeAccountId = BobAccount,
            Amount = 2_500L,
            Currency = "USD",
            Purpose = MoneyDecider.Personal,
            InitiatedBy = "alice",
        });
    }

    [Fact]
    public void the_reserve_moves_the_amount_from_the_payers_available_to_their_pending() =>
        Approved.Only<PaymentFundsReserved>().Postings.Should().Equal(
            Leg(AliceAccount, Usd(-2_500), Bucket.Available),
            Leg(AliceAccount, Usd(2_500), Bucket.Pending));

    [Fact]
    public void the_rules_approve_with_a_zero_score()
    {
        var assessed = Approved.Only<PaymentRiskAssessed>();
        assessed.Outcome.Should().Be(RiskOutcome.Approve);
        assessed.ScoreBasisPoints.Should().Be(0);
        assessed.Reasons.Should().BeEmpty();
        assessed.Source.Should().Be(RulesRiskAssessor.Source);
        assessed.PayerAccountId.Should().Be(AliceAccount);
    }

    [Fact]
    public void completion_moves_the_reserve_from_the_payers_pending_to_the_payees_available() =>
        Approved.Only<PaymentCompleted>().Postings.Should().Equal(
            Leg(AliceAccount, Usd(-2_500), Bucket.Pending),
            Leg(BobAccount, Usd(2_500), Bucket.Available));

    [Fact]
    public void afterwards_the_payer_has_less_available_nothing_pending_and_the_payee_has_it()
    {
        Payer.Given(Approved.Events).BalanceIn("USD").Should().Be(new Balance(7_500, 0, 0));
        Payee.Given(Approved.Events).BalanceIn("USD").Should().Be(new Balance(2_550, 0, 0));
    }

    [Fact]
    public void a_reserve_makes_no_history_entry_because_it_moves_money_within_one_account()
    {
        var reserve = Approved.Only<PaymentFundsReserved>();
        MoneyDecider.EntriesFor(AliceAccount, reserve).Should().BeEmpty();
        MoneyDecider.EntriesFor(BobAccount, reserve).Should().BeEmpty();
        Payer.Given([reserve]).EntryCount.Should().Be(Payer.EntryCount);
    }

    [Fact]
    public void the_completion_makes_one_entry_for_each_side()
    {
        var completed = Approved.Only<PaymentCompleted>();
        MoneyDecider.EntriesFor(AliceAccount, completed).Should().Equal(("USD", -2_500L));
        MoneyDecider.EntriesFor(BobAccount, completed).Should().Equal(("USD", 2_500L));
        Payer.Given(Approved.Events).EntryCount.Should().Be(Payer.EntryCount + 1);
        Payee.Given(Approved.Events).EntryCount.Should().Be(Payee.EntryCount + 1);
    }

    [Fact]
    public void events_that_move_no_money_make_no_entry() =>
        MoneyDecider.EntriesFor(AliceAccount, Approved.Only<PaymentInitiated>()).Should().BeEmpty();

    [Fact]
    public void every_event_nets_to_zero() =>
        Approved.Events.SelectMany(e => e.Postings).Sum(p => p.Amount).Should().Be(0);

    [Fact]
    public void the_whole_available_balance_may_be_paid() =>
        Payer.PaysInShard(Payee, Payment(AliceAccount, BobAccount, Usd(10_000))).Types().Should().EndWith(typeof(PaymentCompleted));

    [Fact]
    public void paying_between_two_of_ones_own_accounts_is_allowed()
    {
        var savings = Funded(AliceSavings);
        Payer.PaysInShard(savings, Payment(AliceAccount, AliceSavings, Usd(100))).Types().Should().EndWith(typeof(PaymentCompleted));
    }

    [Fact]
    public void a_purchase_is_a_valid_purpose_too() =>
        Payer.PaysInShard(Payee, Payment(AliceAccount, BobAccount, Usd(100), purpose: MoneyDecider.Purchase)).ShouldSucceed();

    [Fact]
    public void the_payment_counts_towards_the_payers_velocity_but_not_the_payees()
    {
        var payer = Payer.Given(Approved.Events);
        payer.Velocity.SentTodayIn("USD", T0.AddMinutes(1)).Should().Be(2_500);
        payer.Velocity.CountInMinute(T0.AddMinutes(1)).Should().Be(1);
        Payee.Given(Approved.Events).Velocity.Should().Be(Payee.Velocity);
    }
}
