using Ledger.FraudPipeline.Scoring;
using Microsoft.Extensions.Options;

namespace Ledger.FraudPipeline.Tests.Scoring;

public sealed class rules_scorer
{
    private static RulesScorer Rules(RulesOptions? options = null) => new(Options.Create(options ?? new RulesOptions()));

    [Fact]
    public void a_quiet_payment_scores_zero_with_no_reasons_and_names_the_rules()
    {
        var score = Rules().Score(Samples.Quiet());

        score.Score.Should().Be(0);
        score.Reasons.Should().BeEmpty();
        score.Model.Should().Be("rules");
        score.ModelVersion.Should().MatchRegex("^rules-v1-[0-9a-f]{8}$");
    }

    [Fact]
    public void a_takeover_burst_into_a_mule_gives_each_reason_in_words_and_a_higher_score_than_one_hit()
    {
        var burst = Rules().Score(Samples.Burst());

        burst.Reasons.Should().Equal("12 payments in the last hour", "payee received from 9 accounts in the last hour");
        var velocityOnly = Samples.Quiet();
        velocityOnly.PayerCount1h = 12;
        var one = Rules().Score(velocityOnly);
        one.Score.Should().Be(0.5);
        burst.Score.Should().BeGreaterThan(one.Score).And.BeLessThanOrEqualTo(1);
    }

    [Fact]
    public void a_dormant_account_drain_is_named_with_its_idle_days_and_multiple()
    {
        var f = Samples.Quiet();
        f.PayerIdleDays = 200;
        f.AmountToPayerMean = 40;

        Rules().Score(f).Reasons.Should().Equal("first payment after 200 days idle and 40x usual amount");
    }

    [Fact]
    public void a_payer_that_never_paid_is_not_called_dormant()
    {
        var f = Samples.Quiet();
        f.PayerHistoryLog = 0;
        f.PayerIdleDays = 365;
        f.AmountToPayerMean = 40;

        Rules().Score(f).Reasons.Should().BeEmpty();
    }

    [Fact]
    public void rapid_small_payments_and_cash_out_after_fan_in_are_recognised()
    {
        var f = Samples.Quiet();
        f.PayerCount1h = 6;
        f.AmountLog = (float)Math.Log10(1 + 0.5);
        f.PayerDistinctPayers24h = 10;
        f.FirstPaymentToPayee = 1;

        Rules().Score(f).Reasons.Should().Equal(
            "payer received from 10 accounts in the last day and pays a new payee",
            "6 payments in the last hour, this one under 2 (testing pattern)");
    }

    [Fact]
    public void thresholds_come_from_configuration_and_change_the_version()
    {
        var strict = Rules(new RulesOptions { PaymentsPerHour = 2 });
        var f = Samples.Quiet();
        f.PayerCount1h = 3;

        strict.Score(f).Reasons.Should().Equal("3 payments in the last hour");
        Rules().Score(f).Reasons.Should().BeEmpty();
        strict.ModelVersion.Should().NotBe(Rules().ModelVersion);
        Rules().ModelVersion.Should().Be(Rules().ModelVersion, "the same rules always carry the same version");
    }
}
