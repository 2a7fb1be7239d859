using Ledger.FraudPipeline.Features;
using Ledger.FraudPipeline.Scoring;

namespace Ledger.FraudPipeline.Tests;

public class explaining_a_score
{
    private static FraudFeatures Ordinary() => new()
    {
        AmountLog = 1.5f, AmountToPayerMean = 1.1f, PayerCount24h = 1, PayerHistoryLog = 2, PayerAgeDays = 900,
        PayeeAgeDays = 1500, PayerIdleDays = 1, PayeeDistinctPayers1h = 40, PayeeDistinctPayers24h = 300,
        HourOfDay = 13, IsPurchase = 1,
    };

    [Fact]
    public void an_ordinary_purchase_at_a_busy_shop_has_nothing_to_say()
    {
        FraudExplainer.Explain(Ordinary()).Should().BeEmpty();
    }

    [Fact]
    public void a_takeover_burst_names_the_burst_the_amount_and_the_new_young_payee()
    {
        var f = Ordinary();
        f.PayerCount1m = 5;
        f.AmountToPayerMean = 30;
        f.FirstPaymentToPayee = 1;
        f.PayeeAgeDays = 3.5f;
        (f.PayeeDistinctPayers1h, f.PayeeDistinctPayers24h) = (1, 2);
        f.IsPurchase = 0;

        FraudExplainer.Explain(f).Should().Equal(
            "5 other payments in the last minute",
            "amount 30x the payer's usual",
            "first payment to this payee, an account opened 3 days ago");
    }

    [Fact]
    public void a_mule_is_named_by_its_fan_in_and_its_cash_out()
    {
        var into = Ordinary();
        into.IsPurchase = 0;
        (into.PayeeDistinctPayers1h, into.PayeeDistinctPayers24h) = (12, 12);

        var outOf = Ordinary();
        outOf.IsPurchase = 0;
        (outOf.PayeeDistinctPayers1h, outOf.PayeeDistinctPayers24h) = (0, 0);
        outOf.PayerDistinctPayers24h = 14;
        outOf.PayerAgeDays = 0.4f;

        FraudExplainer.Explain(into).Should().Equal("payee received from 12 accounts in the last hour");
        FraudExplainer.Explain(outOf).Should().Equal("payer received from 14 accounts in the last 24 hours", "payer account opened today");
    }

    [Fact]
    public void a_dormant_drain_names_the_idle_spell()
    {
        var f = Ordinary();
        f.PayerIdleDays = 200.7f;
        f.AmountToPayerMean = 6.4f;

        FraudExplainer.Explain(f).Should().Equal("first payment after 201 days idle", "amount 6.4x the payer's usual");
    }
}
