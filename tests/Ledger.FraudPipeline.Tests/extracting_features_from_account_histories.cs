using Ledger.FraudPipeline.Features;

namespace Ledger.FraudPipeline.Tests;

/// <summary>The one feature definition, on histories built by hand through <see cref="FeatureExtractor.Observe"/>.</summary>
public class extracting_features_from_account_histories
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly Dictionary<string, AccountFeatures> accounts = [];
    private int paymentCount;

    private AccountFeatures Account(string id, DateTimeOffset? opened = null)
    {
        if (!accounts.TryGetValue(id, out var a))
        {
            accounts[id] = a = new AccountFeatures { Id = id };
            FeatureExtractor.Opened(a, opened ?? Now.AddDays(-400));
        }

        return a;
    }

    private static PaymentFacts Payment(string payer, string payee, long minor, DateTimeOffset at, string currency = "USD",
        string? payeeCurrency = null, string purpose = "personal") =>
        new("pay_x", payer, payee, minor, currency, payeeCurrency ?? currency, purpose, at);

    private void Paid(string payer, string payee, long minor, DateTimeOffset at, string currency = "USD") =>
        FeatureExtractor.Observe(Account(payer), Account(payee), Payment(payer, payee, minor, at, currency) with { PaymentId = $"pay_{paymentCount++}" });

    private FraudFeatures Extract(PaymentFacts p) => FeatureExtractor.Extract(Account(p.PayerAccountId), Account(p.PayeeAccountId), p);

    [Fact]
    public void velocity_counts_the_payers_payments_in_each_window_and_forgets_what_is_older_than_a_day()
    {
        Paid("alice", "shop", 1_000, Now.AddHours(-25));
        Paid("alice", "shop", 2_000, Now.AddHours(-23));
        Paid("alice", "shop", 3_000, Now.AddHours(-5));
        Paid("alice", "shop", 4_000, Now.AddMinutes(-10));
        Paid("alice", "shop", 5_000, Now.AddSeconds(-30));
        Paid("alice", "shop", 7_000, Now.AddSeconds(-20), "EUR");

        var f = Extract(Payment("alice", "shop", 100, Now));

        (f.PayerCount1m, f.PayerCount1h, f.PayerCount24h).Should().Be((2f, 3f, 5f));
        f.PayerSumLog1h.Should().BeApproximately((float)Math.Log10(1 + 40 + 50), 1e-5f, "USD only, in major units");
        f.PayerSumLog24h.Should().BeApproximately((float)Math.Log10(1 + 20 + 30 + 40 + 50), 1e-5f);
        f.PayerHistoryLog.Should().BeApproximately((float)Math.Log10(1 + 6), 1e-5f, "history is lifetime, all currencies");
    }

    [Fact]
    public void fan_in_counts_distinct_payers_into_the_payee_and_into_the_payer()
    {
        Paid("a", "mule", 5_000, Now.AddMinutes(-50));
        Paid("b", "mule", 5_000, Now.AddMinutes(-40));
        Paid("a", "mule", 5_000, Now.AddMinutes(-30));
        Paid("c", "mule", 5_000, Now.AddHours(-3));
        Paid("d", "mule", 5_000, Now.AddHours(-30));

        var into = Extract(Payment("e", "mule", 5_000, Now));
        var outOf = Extract(Payment("mule", "exit", 18_000, Now));

        (into.PayeeDistinctPayers1h, into.PayeeDistinctPayers24h).Should().Be((2f, 3f));
        outOf.PayerDistinctPayers24h.Should().Be(3f);
        into.PayerDistinctPayers24h.Should().Be(0f);
    }

    [Fact]
    public void a_payee_is_new_until_the_payer_has_paid_it_once()
    {
        Paid("alice", "bob", 1_000, Now.AddDays(-100));

        Extract(Payment("alice", "bob", 1_000, Now)).FirstPaymentToPayee.Should().Be(0f);
        Extract(Payment("alice", "carol", 1_000, Now)).FirstPaymentToPayee.Should().Be(1f);
    }

    [Fact]
    public void idle_days_are_the_time_since_the_payers_last_payment_and_a_full_year_for_one_that_never_paid()
    {
        Paid("sleeper", "shop", 1_000, Now.AddDays(-200));

        Extract(Payment("sleeper", "shop", 1_000, Now)).PayerIdleDays.Should().BeApproximately(200f, 1e-3f);
        Extract(Payment("newcomer", "shop", 1_000, Now)).PayerIdleDays.Should().Be(365f);
    }

    [Fact]
    public void the_amount_is_compared_with_the_payers_own_history_in_that_currency()
    {
        foreach (var (minor, daysAgo) in new[] { (800L, 9), (1_200L, 8), (1_000L, 7) })
        {
            Paid("alice", "shop", minor, Now.AddDays(-daysAgo));
        }

        var big = Extract(Payment("alice", "shop", 30_000, Now));
        var yen = Extract(Payment("alice", "shop", 30_000, Now, "JPY"));

        big.AmountToPayerMean.Should().BeApproximately(30f, 1e-4f);
        big.AmountZScore.Should().Be(10f, "capped");
        yen.AmountToPayerMean.Should().Be(1f, "no JPY history yet");
        yen.AmountLog.Should().BeApproximately((float)Math.Log10(1 + 30_000), 1e-5f, "JPY has no minor units");
    }

    [Fact]
    public void account_ages_currency_mismatch_purpose_and_hour_come_from_the_payment_and_the_openings()
    {
        Account("old", Now.AddDays(-1000));
        Account("young", Now.AddHours(-36));

        var f = Extract(Payment("old", "young", 5_000, Now.AddHours(3), "USD", "EUR", "purchase"));

        f.PayerAgeDays.Should().BeApproximately(1000.125f, 1e-3f);
        f.PayeeAgeDays.Should().BeApproximately(1.625f, 1e-3f);
        (f.CurrencyMismatch, f.IsPurchase, f.HourOfDay).Should().Be((1f, 1f, 15f));
    }

    [Fact]
    public void a_window_edge_is_exact_to_its_pane_a_second_for_a_minute_a_minute_for_an_hour_five_minutes_for_a_day()
    {
        // Deliberately out of time order, as events may arrive: each payment still lands in the pane its age calls for.
        Paid("alice", "shop", 1_000, Now.AddSeconds(-59.5)); // its one-second pane starts 60 s back: outside the minute
        Paid("alice", "shop", 1_000, Now.AddSeconds(-59));
        Paid("alice", "shop", 1_000, Now.AddMinutes(-59.5)); // pane 60 min back: outside the hour
        Paid("alice", "shop", 1_000, Now.AddMinutes(-59));
        Paid("alice", "shop", 1_000, Now.AddHours(-23).AddMinutes(-57)); // five-minute pane 24 h back: outside the day
        Paid("alice", "shop", 1_000, Now.AddHours(-23).AddMinutes(-55));

        var f = Extract(Payment("alice", "shop", 100, Now));

        (f.PayerCount1m, f.PayerCount1h, f.PayerCount24h).Should().Be((1f, 3f, 5f));
    }

    [Fact]
    public void a_busy_accounts_document_stays_small_however_many_payments_it_makes_and_receives()
    {
        var start = Now.AddHours(-2);
        for (var i = 0; i < 14_400; i++) // a payment every half second for two hours, to 50 payees, in two currencies
        {
            Paid("payouts", $"seller{i % 50}", 1_000, start.AddSeconds(i / 2.0), i % 4 == 0 ? "EUR" : "USD");
            Paid($"buyer{i % 100}", "marketplace", 500, start.AddSeconds(i / 2.0));
        }

        var f = Extract(Payment("payouts", "marketplace", 100, Now));
        var into = Extract(Payment("buyer0", "marketplace", 100, Now));

        // Exactly: 119 payments in the last minute, 7,199 in the last hour; a window's edge may miss one pane of them.
        f.PayerCount1m.Should().BeInRange(119 - 2, 119, "a one-second pane holds two payments");
        f.PayerCount1h.Should().BeInRange(7_199 - 120, 7_199, "a one-minute pane holds 120");
        f.PayerCount24h.Should().Be(14_400);
        f.PayerSumLog24h.Should().BeApproximately((float)Math.Log10(1 + 10 * 10_800), 1e-4f, "USD only: three payments in four");
        (into.PayeeDistinctPayers1h, into.PayeeDistinctPayers24h).Should().Be((100f, 100f));
        var options = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
        System.Text.Json.JsonSerializer.Serialize(Account("payouts"), options).Length.Should().BeLessThan(12_000,
            "at most 60 + 60 + 288 panes a currency, and 50 known payees (the per-payment list was ~1 MB here)");
        System.Text.Json.JsonSerializer.Serialize(Account("marketplace"), options).Length.Should().BeLessThan(2_000, "16 base64 characters per payer, not an entry per payment");
    }

    [Fact]
    public void a_payee_forgets_payers_older_than_a_day_and_past_the_cap_the_least_recent()
    {
        for (var i = 0; i < FeatureExtractor.MaxCounterparties + 500; i++)
        {
            Paid($"payer{i}", "merchant", 500, Now.AddHours(-2).AddSeconds(i));
        }

        var merchant = Account("merchant").PaidBy;
        (merchant.Count, merchant.Contains("payer499"), merchant.Contains("payer500")).Should().Be((FeatureExtractor.MaxCounterparties, false, true),
            "the least recent go first");
        Extract(Payment("x", "merchant", 100, Now)).PayeeDistinctPayers24h.Should().Be(FeatureExtractor.MaxCounterparties, "saturated at the cap");

        Paid("late", "merchant", 500, Now.AddDays(1));

        (Account("merchant").PaidBy.Count, Account("merchant").PaidBy.Contains("late")).Should().Be((1, true), "everyone else paid more than a day before");
    }

    [Fact]
    public void a_payment_dated_a_year_ahead_by_a_jumped_clock_does_not_blind_the_velocity_features()
    {
        Paid("alice", "shop", 1_000, Now.AddYears(1));
        Paid("alice", "shop", 1_000, Now.AddMinutes(-30));
        Paid("alice", "shop", 1_000, Now.AddSeconds(-10));

        var f = Extract(Payment("alice", "shop", 100, Now));

        (f.PayerCount1m, f.PayerCount1h, f.PayerCount24h).Should().Be((1f, 2f, 2f));
    }
}
