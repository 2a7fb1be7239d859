using Ledger.Domain.Fx;

namespace Ledger.Domain.Tests.Fx;

public class crossing_rates_through_the_base
{
    // ECB-style: units per 1 EUR.
    private static readonly RateTable Rates = new(
        "EUR",
        new Dictionary<string, decimal> { ["USD"] = 1.0823m, ["JPY"] = 163.42m, ["KWD"] = 0.3328m },
        "test",
        new DateTimeOffset(2026, 11, 24, 15, 0, 0, TimeSpan.Zero));

    [Fact]
    public void usd_to_jpy_is_jpy_per_euro_over_usd_per_euro()
    {
        Rates.Mid("USD", "JPY").Should().Be(decimal.Round(163.42m / 1.0823m, RateTable.RateDecimals));
        Rates.Mid("USD", "JPY").Should().Be(150.9932551049m);
    }

    [Fact]
    public void the_way_back_is_the_inverse_to_the_kept_precision()
    {
        var there = Rates.Mid("USD", "JPY")!.Value;
        var back = Rates.Mid("JPY", "USD")!.Value;
        back.Should().Be(decimal.Round(1.0823m / 163.42m, RateTable.RateDecimals));
        (there * back).Should().BeApproximately(1m, 0.000_000_01m);
    }

    [Fact]
    public void the_base_itself_crosses_at_its_published_rate()
    {
        Rates.Mid("EUR", "USD").Should().Be(1.0823m);
        Rates.Mid("KWD", "EUR").Should().Be(decimal.Round(1m / 0.3328m, RateTable.RateDecimals));
    }

    [Theory]
    [InlineData("USD")]
    [InlineData("EUR")]
    [InlineData("CHF")]
    public void a_currency_to_itself_is_one_even_without_a_rate(string currency) =>
        Rates.Mid(currency, currency).Should().Be(1m);

    [Theory]
    [InlineData("USD", "CHF")]
    [InlineData("CHF", "USD")]
    [InlineData("XYZ", "EUR")]
    public void a_currency_without_a_rate_has_no_cross_rate(string from, string to) =>
        Rates.Mid(from, to).Should().BeNull();

    [Fact]
    public void a_non_positive_rate_counts_as_none()
    {
        var broken = Rates with { PerBase = new Dictionary<string, decimal> { ["USD"] = 0m, ["JPY"] = 163.42m } };
        broken.Mid("USD", "JPY").Should().BeNull();
        broken.Mid("JPY", "USD").Should().BeNull();
    }
}
