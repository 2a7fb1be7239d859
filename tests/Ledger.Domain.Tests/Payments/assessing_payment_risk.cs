using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using static Ledger.Domain.Tests.Payments.MoneySpec;

namespace Ledger.Domain.Tests.Payments;

public class assessing_payment_risk
{
    private static readonly AccountFunds Payer = Alices(Usd(100_000));
    private static readonly AccountFunds Payee = Bobs();

    private static Decision<MoneyEvent> Pays(AccountFunds payer, long minor, IRiskAssessor risk, DateTimeOffset? at = null, string paymentId = PaymentId) =>
        payer.PaysInShard(Payee, Payment(AliceAccount, BobAccount, Usd(minor), at: at, paymentId: paymentId), risk);

    [Fact]
    public void above_the_per_payment_limit_the_payment_is_initiated_reserved_assessed_and_rejected()
    {
        var decision = Pays(Payer, 5_001, Rules(maxPerPayment: 5_000));

        decision.Error.Should().BeNull("a risk rejection is an outcome, not an error");
        decision.Types().Should().Equal(
            typeof(PaymentInitiated), typeof(PaymentFundsReserved), typeof(PaymentRiskAssessed), typeof(PaymentRejected));
        var assessed = decision.Only<PaymentRiskAssessed>();
        assessed.Outcome.Should().Be(RiskOutcome.Reject);
        assessed.ScoreBasisPoints.Should().Be(10_000);
        assessed.Reasons.Should().ContainSingle().Which.Should().Contain("per-payment limit of 50.00 USD");
        decision.Only<PaymentRejected>().Reasons.Should().Equal(assessed.Reasons);
    }

    [Fact]
    public void a_rejection_releases_the_reserve_back_to_available()
    {
        var decision = Pays(Payer, 5_001, Rules(maxPerPayment: 5_000));

        decision.Only<PaymentRejected>().Postings.Should().Equal(
            Leg(AliceAccount, Usd(-5_001), Bucket.Pending),
            Leg(AliceAccount, Usd(5_001), Bucket.Available));
        Payer.Given(decision.Events).BalanceIn("USD").Should().Be(Payer.BalanceIn("USD"));
        Payer.Given(decision.Events).EntryCount.Should().Be(Payer.EntryCount, "no money left the account");
        Payee.Given(decision.Events).Should().Be(Payee);
    }

    [Fact]
    public void exactly_the_per_payment_limit_is_approved() =>
        Pays(Payer, 5_000, Rules(maxPerPayment: 5_000)).Types().Should().EndWith(typeof(PaymentCompleted));

    [Fact]
    public void a_limit_in_another_currency_does_not_apply() =>
        Pays(Payer, 5_001, Rules("JPY", maxPerPayment: 5_000)).Types().Should().EndWith(typeof(PaymentCompleted));

    [Fact]
    public void above_the_review_threshold_the_payment_stays_pending_without_completing()
    {
        var decision = Pays(Payer, 3_000, Rules(reviewAbove: 2_000));

        decision.Types().Should().Equal(typeof(PaymentInitiated), typeof(PaymentFundsReserved), typeof(PaymentRiskAssessed));
        var assessed = decision.Only<PaymentRiskAssessed>();
        assessed.Outcome.Should().Be(RiskOutcome.Review);
        assessed.ScoreBasisPoints.Should().Be(5_000);
        assessed.Reasons.Should().ContainSingle().Which.Should().Contain("review threshold of 20.00 USD");
        Payer.Given(decision.Events).BalanceIn("USD").Should().Be(new Balance(97_000, 3_000, 0));
        Payee.Given(decision.Events).BalanceIn("USD").Should().Be(default(Balance));
    }

    [Fact]
    public void a_payment_under_review_also_stays_pending_across_shards() =>
        Payer.PaysAcrossShards(Payee.Snapshot(), Payment(AliceAccount, BobAccount, Usd(3_000)), Rules(reviewAbove: 2_000))
            .Types().Should().Equal(typeof(PaymentInitiated), typeof(PaymentFundsReserved), typeof(PaymentRiskAssessed));

    [Fact]
    public void a_rejection_wins_over_a_review()
    {
        var risk = new RulesRiskAssessor(new RiskPolicy(
            new Dictionary<string, long> { ["USD"] = 5_000 }, new Dictionary<string, long>(), new Dictionary<string, long> { ["USD"] = 1_000 }, null));
        Pays(Payer, 6_000, risk).Only<PaymentRiskAssessed>().Outcome.Should().Be(RiskOutcome.Reject);
    }

    [Fact]
    public void the_daily_limit_counts_earlier_payments_of_the_same_day()
    {
        var risk = Rules(maxPerDay: 10_000);
        var first = Pays(Payer, 6_000, risk, T0.AddMinutes(1), "pay_1");
        first.Types().Should().EndWith(typeof(PaymentCompleted));
        var afterFirst = Payer.Given(first.Events);

        var second = Pays(afterFirst, 5_000, risk, T0.AddHours(2), "pay_2");
        second.Types().Should().EndWith(typeof(PaymentRejected));
        second.Only<PaymentRiskAssessed>().Reasons.Should().ContainSingle().Which.Should().Contain("daily limit of 100.00 USD");
        afterFirst.Given(second.Events).BalanceIn("USD").Should().Be(afterFirst.BalanceIn("USD"));

        Pays(afterFirst, 4_000, risk, T0.AddHours(2), "pay_3").Types().Should().EndWith(typeof(PaymentCompleted), "up to the limit is fine");
    }

    [Fact]
    public void a_rejected_payment_does_not_use_up_the_daily_limit()
    {
        var risk = Rules(maxPerDay: 10_000);
        var rejected = Pays(Payer, 10_001, risk);
        rejected.Types().Should().EndWith(typeof(PaymentRejected));

        Pays(Payer.Given(rejected.Events), 10_000, risk, T0.AddMinutes(2), "pay_2").Types().Should().EndWith(typeof(PaymentCompleted));
    }

    [Fact]
    public void a_payment_under_review_uses_up_the_daily_limit()
    {
        var risk = new RulesRiskAssessor(new RiskPolicy(
            new Dictionary<string, long>(), new Dictionary<string, long> { ["USD"] = 10_000 }, new Dictionary<string, long> { ["USD"] = 5_000 }, null));
        var review = Pays(Payer, 6_000, risk);
        review.Only<PaymentRiskAssessed>().Outcome.Should().Be(RiskOutcome.Review);

        Pays(Payer.Given(review.Events), 5_000, risk, T0.AddMinutes(2), "pay_2").Types().Should().EndWith(typeof(PaymentRejected));
    }

    [Fact]
    public void the_daily_limit_starts_again_on_the_next_utc_day()
    {
        var risk = Rules(maxPerDay: 10_000);
        var afterFirst = Payer.Given(Pays(Payer, 6_000, risk, T0, "pay_1").Events);

        var nextDay = new DateTimeOffset(T0.Date.AddDays(1), TimeSpan.Zero);
        Pays(afterFirst, 6_000, risk, nextDay.AddSeconds(-1), "pay_2").Types().Should().EndWith(typeof(PaymentRejected));
        Pays(afterFirst, 6_000, risk, nextDay, "pay_3").Types().Should().EndWith(typeof(PaymentCompleted));
    }

    [Fact]
    public void the_per_minute_velocity_rejects_the_payment_after_the_limit()
    {
        var risk = Rules(maxPerMinute: 2);
        var payer = Payer;
        for (var i = 0; i < 2; i++)
        {
            var approved = Pays(payer, 100, risk, T0.AddSeconds(10 * i), $"pay_{i}");
            approved.Types().Should().EndWith(typeof(PaymentCompleted));
            payer = payer.Given(approved.Events);
        }

        var third = Pays(payer, 100, risk, T0.AddSeconds(30), "pay_third");
        third.Types().Should().EndWith(typeof(PaymentRejected));
        third.Only<PaymentRiskAssessed>().Reasons.Should().ContainSingle().Which.Should().Contain("more than 2 payments in a minute");
    }

    [Fact]
    public void a_minute_after_the_first_payment_the_velocity_window_starts_again()
    {
        var risk = Rules(maxPerMinute: 1);
        var payer = Payer.Given(Pays(Payer, 100, risk, T0, "pay_1").Events);

        Pays(payer, 100, risk, T0.AddSeconds(59), "pay_2").Types().Should().EndWith(typeof(PaymentRejected));
        Pays(payer, 100, risk, T0.AddMinutes(1), "pay_3").Types().Should().EndWith(typeof(PaymentCompleted));
    }

    [Fact]
    public void every_broken_limit_is_a_reason()
    {
        var risk = new RulesRiskAssessor(new RiskPolicy(
            new Dictionary<string, long> { ["USD"] = 1_000 }, new Dictionary<string, long> { ["USD"] = 1_000 }, new Dictionary<string, long>(), 0));
        Pays(Payer, 2_000, risk).Only<PaymentRejected>().Reasons.Should().HaveCount(3);
    }

    [Fact]
    public void cross_shard_rejections_never_reach_transit()
    {
        var decision = Payer.PaysAcrossShards(Payee.Snapshot(), Payment(AliceAccount, BobAccount, Usd(5_001)), Rules(maxPerPayment: 5_000));

        decision.Types().Should().EndWith(typeof(PaymentRejected));
        decision.Events.SelectMany(e => e.Postings).Should().NotContain(p => p.Account == SystemAccounts.Transit);
    }
}
