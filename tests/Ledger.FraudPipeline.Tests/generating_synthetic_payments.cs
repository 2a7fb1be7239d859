using Ledger.Domain.Money;
using Ledger.FraudPipeline.Synthetic;

namespace Ledger.FraudPipeline.Tests;

public class generating_synthetic_payments
{
    private static readonly IReadOnlyList<SyntheticPayment> Rows = SmallWorld.Rows;

    [Fact]
    public void the_same_seed_gives_the_same_rows()
    {
        var again = SyntheticDataGenerator.Generate(SmallWorld.Options);

        again.Should().HaveCount(Rows.Count);
        for (var i = 0; i < Rows.Count; i++)
        {
            again[i].Facts.Should().Be(Rows[i].Facts);
            again[i].Features.ToArray().Should().Equal(Rows[i].Features.ToArray());
            (again[i].IsFraud, again[i].Scenario).Should().Be((Rows[i].IsFraud, Rows[i].Scenario));
        }
    }

    [Fact]
    public void a_different_seed_gives_a_different_world()
    {
        var other = SyntheticDataGenerator.Generate(SyntheticOptions.Small(8));

        other.Select(r => (r.Facts.PayerAccountId, r.Facts.At, r.Facts.AmountMinor))
            .Should().NotIntersectWith(Rows.Take(500).Select(r => (r.Facts.PayerAccountId, r.Facts.At, r.Facts.AmountMinor)));
    }

    [Fact]
    public void every_fraud_scenario_is_injected_and_only_fraud_is_labelled_fraud()
    {
        Rows.Select(r => r.Scenario).Distinct().Should().BeEquivalentTo(Scenarios.Fraud.Append(Scenarios.Legit));
        Rows.Should().OnlyContain(r => r.IsFraud == (r.Scenario != Scenarios.Legit));
    }

    [Fact]
    public void the_fraud_rate_is_realistic()
    {
        var rate = (double)Rows.Count(r => r.IsFraud) / Rows.Count;

        rate.Should().BeInRange(0.005, 0.02);
    }

    [Fact]
    public void rows_are_emitted_in_time_order_after_the_warm_up_in_several_currencies()
    {
        Rows.Select(r => r.Facts.At).Should().BeInAscendingOrder();
        Rows[0].Facts.At.Should().BeOnOrAfter(SmallWorld.Options.EmitFrom);
        Rows.Should().OnlyContain(r => r.Facts.AmountMinor > 0 && Currencies.IsWellFormed(r.Facts.Currency));
        Rows.Select(r => r.Facts.Currency).Distinct().Where(c => !Currencies.TryGet(c, out var _)).Should().BeEmpty();
        Rows.Should().OnlyContain(r => r.Facts.Purpose == "purchase" || r.Facts.Purpose == "personal");

        var byCurrency = Rows.GroupBy(r => r.Facts.Currency).ToDictionary(g => g.Key, g => (double)g.Count() / Rows.Count);
        byCurrency.Keys.Should().BeEquivalentTo(["USD", "EUR", "GBP", "JPY"]);
        (byCurrency["USD"] + byCurrency["EUR"] + byCurrency["GBP"]).Should().BeGreaterThan(0.8);
        Rows.Should().Contain(r => r.Facts.Currency != r.Facts.PayeeCurrency, "some payments cross currencies");
    }

    [Fact]
    public void a_takeover_burst_goes_to_payees_the_victim_never_paid_at_several_times_its_usual_amount()
    {
        var takeovers = Rows.Where(r => r.Scenario == Scenarios.AccountTakeover).ToList();

        takeovers.Should().NotBeEmpty();
        takeovers.Count(r => r.Features.FirstPaymentToPayee == 1 || r.Features.PayerCount1h >= 1)
            .Should().Be(takeovers.Count, "each payment is to a new payee or follows another of the burst");
        takeovers.Average(r => r.Features.AmountToPayerMean).Should().BeGreaterThan(3);
    }

    [Fact]
    public void a_mule_cashes_out_what_many_distinct_payers_sent_it()
    {
        var cashOuts = Rows.Where(r => r.Scenario == Scenarios.MuleCashOut).ToList();
        cashOuts.Should().NotBeEmpty();

        foreach (var cashOut in cashOuts)
        {
            var payers = Rows.Where(r => r.Scenario == Scenarios.MuleFanIn && r.Facts.PayeeAccountId == cashOut.Facts.PayerAccountId)
                .Select(r => r.Facts.PayerAccountId).Distinct().Count();
            payers.Should().BeGreaterThan(1);
            cashOut.Features.PayerDistinctPayers24h.Should().Be(payers, "the fan-in is the mule's whole intake in the day");
        }
    }

    [Fact]
    public void testing_payments_are_tiny_and_seconds_apart()
    {
        var testing = Rows.Where(r => r.Scenario == Scenarios.CardTesting).ToList();

        testing.Should().NotBeEmpty();
        testing.Count(r => r.Features.AmountLog < Math.Log10(1 + 3.01) || r.Facts.Currency == "JPY" && r.Features.AmountLog < Math.Log10(1 + 460))
            .Should().BeGreaterThan(testing.Count * 3 / 4);
        testing.Count(r => r.Features.PayerCount1m >= 1).Should().BeGreaterThan(testing.Count / 2);
    }

    [Fact]
    public void a_dormant_drain_is_the_first_payment_after_a_long_idle_spell()
    {
        var drains = Rows.Where(r => r.Scenario == Scenarios.DormantDrain)
            .GroupBy(r => r.Facts.PayerAccountId).Select(g => g.First()).ToList();

        drains.Should().NotBeEmpty();
        drains.Should().OnlyContain(r => r.Features.PayerIdleDays >= 45 && r.Features.FirstPaymentToPayee == 1);
    }

    [Fact]
    public void legit_payments_include_the_look_alikes_that_make_the_problem_real()
    {
        var legit = Rows.Where(r => !r.IsFraud).ToList();

        legit.Should().Contain(r => r.Features.PayerCount1m >= 2, "bill splitting is a burst");
        legit.Should().Contain(r => r.Features.AmountToPayerMean >= 8, "big-ticket purchases");
        legit.Should().Contain(r => r.Features.PayerIdleDays >= 45 && r.Features.PayerHistoryLog > 0, "sleepers come back");
        legit.Should().Contain(r => r.Features.FirstPaymentToPayee == 1 && r.Features.PayeeAgeDays < 30, "newcomers get paid");
        legit.Should().Contain(r => r.Features.PayerDistinctPayers24h >= 4, "a collection among friends, then a payment");
    }
}
