using Ledger.Domain.Common;
using Ledger.Domain.Fx;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using static Ledger.Domain.Tests.Payments.MoneySpec;

namespace Ledger.Domain.Tests.Payments;

/// <summary>Pricing and booking conversions between currencies of 0, 2 and 3 decimals (JPY, USD, KWD).</summary>
public class converting_currencies
{
    /// <summary>Per EUR: 1 EUR = 1.08 USD = 162.00 JPY = 0.33 KWD.</summary>
    private static readonly RateTable Rates = new("EUR", new Dictionary<string, decimal> { ["USD"] = 1.08m, ["JPY"] = 162.00m, ["KWD"] = 0.33m }, "test", T0);

    private static FxQuote Quote(FxPrice price, string owner = "alice", string? account = null, DateTimeOffset? expires = null, string? usedBy = null) =>
        new("quo_1", owner, account, price, "test", T0, expires ?? T0.AddSeconds(30), usedBy);

    private static ConvertFunds Convert(string account = AliceAccount, Actor? actor = null, DateTimeOffset? at = null) =>
        new("cnv_1", account, "quo_1", actor ?? Alice, at ?? T0.AddSeconds(10));

    [Fact]
    public void usd_to_jpy_takes_the_spread_as_a_fee_and_rounds_the_yen_down()
    {
        // mid = 162 / 1.08 = 150 JPY per USD; fee 0.5% of 100.00 USD = 0.50; 99.50 USD at 150 = 14,925 JPY.
        var price = FxPricing.ForSellAmount(Rates, Usd(10_000), "JPY", 0.005m)!;

        price.MidRate.Should().Be(150m);
        price.Fee.Should().Be(50);
        price.BuyAmount.Should().Be(Jpy(14_925));
        price.Rate.Should().Be(149.25m);
    }

    [Fact]
    public void jpy_to_kwd_lands_on_three_decimals_rounded_down()
    {
        // mid = 0.33 / 162 = 0.0020370370 KWD per JPY; 9,950 JPY net (50 fee) = 20.268518... KWD -> 20.268.
        var price = FxPricing.ForSellAmount(Rates, Jpy(10_000), "KWD", 0.005m)!;

        price.Fee.Should().Be(50);
        price.BuyAmount.Should().Be(Kwd(20_268));
    }

    [Fact]
    public void kwd_to_usd_drops_a_decimal_rounding_down()
    {
        // mid = 1.08 / 0.33 = 3.2727272727 USD per KWD; 1.000 KWD, no spread: 3.2727... USD -> 3.27.
        var price = FxPricing.ForSellAmount(Rates, Kwd(1_000), "USD", 0m)!;

        price.Fee.Should().Be(0);
        price.BuyAmount.Should().Be(Usd(327));
    }

    [Fact]
    public void a_wanted_buy_amount_is_priced_with_the_smallest_sell_amount_that_buys_it()
    {
        var price = FxPricing.ForBuyAmount(Rates, "USD", Jpy(15_000), 0.005m)!;

        price.BuyAmount.Should().Be(Jpy(15_000));
        var cheaper = FxPricing.ForSellAmount(Rates, Usd(price.SellAmount.Minor - 1), "JPY", 0.005m)!;
        cheaper.BuyAmount.Minor.Should().BeLessThan(15_000, "one cent less must not buy the amount");
        FxPricing.ForSellAmount(Rates, price.SellAmount, "JPY", 0.005m)!.BuyAmount.Minor.Should().BeGreaterThanOrEqualTo(15_000);
    }

    [Fact]
    public void a_pair_without_a_rate_has_no_price()
    {
        FxPricing.ForSellAmount(Rates, Usd(100), "CHF", 0.005m).Should().BeNull();
    }

    [Fact]
    public void a_conversion_books_each_currency_balanced_through_the_fx_account_and_fee_revenue()
    {
        var price = FxPricing.ForSellAmount(Rates, Usd(10_000), "JPY", 0.005m)!;

        var decision = MoneyDecider.Decide(Alices(Usd(20_000)), Quote(price), Convert());

        var converted = decision.Only<FundsConverted>();
        converted.Legs.Should().BeEquivalentTo(new[]
        {
            new Posting(AliceAccount, "USD", -10_000, Bucket.Available),
            new Posting(SystemAccounts.Fx, "USD", 9_950, Bucket.Available),
            new Posting(SystemAccounts.Fees, "USD", 50, Bucket.Available),
            new Posting(SystemAccounts.Fx, "JPY", -14_925, Bucket.Available),
            new Posting(AliceAccount, "JPY", 14_925, Bucket.Available),
        });
        var after = MoneyDecider.Evolve(Alices(Usd(20_000)), converted);
        after.BalanceIn("USD").Available.Should().Be(10_000);
        after.BalanceIn("JPY").Available.Should().Be(14_925);
    }

    [Fact]
    public void a_conversion_short_of_funds_is_refused_without_events()
    {
        var price = FxPricing.ForSellAmount(Rates, Usd(10_000), "JPY", 0.005m)!;
        MoneyDecider.Decide(Alices(Usd(9_999)), Quote(price), Convert()).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.InsufficientFunds);
    }

    [Fact]
    public void an_expired_quote_is_refused()
    {
        var price = FxPricing.ForSellAmount(Rates, Usd(100), "JPY", 0.005m)!;
        MoneyDecider.Decide(Alices(Usd(1_000)), Quote(price), Convert(at: T0.AddSeconds(30))).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.QuoteExpired);
    }

    [Fact]
    public void a_used_quote_is_refused()
    {
        var price = FxPricing.ForSellAmount(Rates, Usd(100), "JPY", 0.005m)!;
        MoneyDecider.Decide(Alices(Usd(1_000)), Quote(price, usedBy: "cnv_0"), Convert()).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.QuoteUsed);
    }

    [Fact]
    public void someone_elses_quote_or_one_bound_to_another_account_does_not_exist()
    {
        var price = FxPricing.ForSellAmount(Rates, Usd(100), "JPY", 0.005m)!;
        MoneyDecider.Decide(Alices(Usd(1_000)), Quote(price, owner: "bob"), Convert()).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);
        MoneyDecider.Decide(Alices(Usd(1_000)), Quote(price, account: "acc_other"), Convert()).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);
    }

    [Fact]
    public void a_payment_in_usd_received_in_kwd_completes_through_the_fx_account()
    {
        var price = FxPricing.ForSellAmount(Rates, Usd(5_000), "KWD", 0.01m)!;
        var pay = Payment(AliceAccount, BobAccount, Usd(5_000), payeeCurrency: "KWD") with { SpotPrice = price, SpotRateSource = "test" };

        var decision = Alices(Usd(5_000)).PaysInShard(Bobs(), pay);

        decision.Types().Should().Equal(typeof(PaymentInitiated), typeof(PaymentConversionPriced), typeof(PaymentFundsReserved), typeof(PaymentRiskAssessed), typeof(PaymentCompleted));
        var bob = Bobs().Given(decision.Events);
        bob.BalanceIn("KWD").Available.Should().Be(price.BuyAmount.Minor);
        Alices(Usd(5_000)).Given(decision.Events).BalanceIn("USD").Should().Be(new Balance(0, 0, 0));
    }

    [Fact]
    public void a_payment_across_currencies_without_a_price_is_refused()
    {
        Alices(Usd(5_000)).PaysInShard(Bobs(), Payment(AliceAccount, BobAccount, Usd(5_000), payeeCurrency: "JPY"))
            .ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.CurrencyNotSupported);
    }

    [Fact]
    public void a_refused_credit_across_currencies_returns_the_payer_everything_fee_included()
    {
        var price = FxPricing.ForSellAmount(Rates, Jpy(10_000), "USD", 0.005m)!;
        var reversed = MoneyDecider.Decide(new ReversePayment("pay_1", AliceAccount, Jpy(10_000), "closed", T0, price)).Only<PaymentReversed>();

        reversed.Legs.Where(l => l.Account == AliceAccount).Should().Equal(new Posting(AliceAccount, "JPY", 10_000, Bucket.Available));
        reversed.Legs.Where(l => l.Account == SystemAccounts.Transit).Should().Equal(new Posting(SystemAccounts.Transit, "USD", -price.BuyAmount.Minor, Bucket.Available));
        reversed.Legs.Where(l => l.Account == SystemAccounts.Fees).Should().Equal(new Posting(SystemAccounts.Fees, "JPY", -50, Bucket.Available));
    }
}
