using Ledger.Domain.Money;

namespace Ledger.Domain.Tests.Payments;

public class parsing_and_formatting_amounts
{
    [Theory]
    [InlineData("1", "JPY", 1L)]
    [InlineData("1500", "JPY", 1_500L)]
    [InlineData("12.34", "USD", 1_234L)]
    [InlineData("12.3", "USD", 1_230L)]
    [InlineData("12", "USD", 1_200L)]
    [InlineData("0.01", "USD", 1L)]
    [InlineData("0.5", "USD", 50L)]
    [InlineData("007.50", "USD", 750L)]
    [InlineData("1.234", "KWD", 1_234L)]
    [InlineData("0.001", "KWD", 1L)]
    [InlineData("5", "KWD", 5_000L)]
    public void a_decimal_string_in_major_units_becomes_minor_units(string amount, string currency, long minor)
    {
        Amounts.TryParse(amount, currency, out var money).Should().Be(Amounts.Problem.None);
        money.Should().Be(new Money.Money(minor, currency));
    }

    [Theory]
    [InlineData("1.00", "USD", 100L)]
    [InlineData("1.0", "JPY", 1L)]
    [InlineData("2.5000", "KWD", 2_500L)]
    public void zeros_beyond_the_currencys_decimals_are_accepted_because_they_change_nothing(string amount, string currency, long minor)
    {
        Amounts.TryParse(amount, currency, out var money).Should().Be(Amounts.Problem.None);
        money.Minor.Should().Be(minor);
    }

    [Theory]
    [InlineData("1.5", "JPY")]
    [InlineData("12.345", "USD")]
    [InlineData("0.001", "USD")]
    [InlineData("1.2345", "KWD")]
    [InlineData("0.0001", "KWD")]
    public void more_decimals_than_the_currency_has_are_too_precise(string amount, string currency) =>
        Amounts.TryParse(amount, currency, out _).Should().Be(Amounts.Problem.TooPrecise);

    [Theory]
    [InlineData("0", "USD")]
    [InlineData("0.00", "USD")]
    [InlineData("000", "JPY")]
    [InlineData("-1", "USD")]
    [InlineData("-12.34", "USD")]
    [InlineData("-0", "KWD")]
    public void zero_and_negative_amounts_are_not_positive(string amount, string currency) =>
        Amounts.TryParse(amount, currency, out _).Should().Be(Amounts.Problem.NotPositive);

    [Theory]
    [InlineData("1e3")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("1,000")]
    [InlineData("1.000,00")]
    [InlineData("+1")]
    [InlineData("--1")]
    [InlineData("-")]
    [InlineData("1.2.3")]
    [InlineData("١٢")]
    [InlineData("0x10")]
    [InlineData("")]
    [InlineData(null)]
    public void anything_but_plain_digits_with_one_optional_dot_is_malformed(string? amount) =>
        Amounts.TryParse(amount, "USD", out _).Should().Be(Amounts.Problem.Malformed);

    [Fact]
    public void a_string_longer_than_forty_characters_is_malformed() =>
        Amounts.TryParse("1" + new string('0', 40), "USD", out _).Should().Be(Amounts.Problem.Malformed);

    [Theory]
    [InlineData("usd")]
    [InlineData("Usd")]
    [InlineData("US")]
    [InlineData("USDX")]
    [InlineData("U5D")]
    [InlineData("")]
    [InlineData(null)]
    public void a_code_that_is_not_three_upper_case_letters_is_an_unknown_currency(string? currency) =>
        Amounts.TryParse("1.00", currency, out _).Should().Be(Amounts.Problem.UnknownCurrency);

    [Theory]
    [InlineData("XYZ")]
    [InlineData("XAU")]
    [InlineData("XTS")]
    public void a_well_formed_code_missing_from_the_table_is_an_unsupported_currency(string currency) =>
        Amounts.TryParse("1.00", currency, out _).Should().Be(Amounts.Problem.UnsupportedCurrency);

    [Fact]
    public void the_currency_is_checked_before_the_amount() =>
        Amounts.TryParse("abc", "usd", out _).Should().Be(Amounts.Problem.UnknownCurrency);

    [Theory]
    [InlineData("10000000000000", "USD")]
    [InlineData("1000000000000000", "JPY")]
    [InlineData("1000000000000", "KWD")]
    public void up_to_ten_to_the_fifteen_minor_units_is_accepted(string amount, string currency)
    {
        Amounts.TryParse(amount, currency, out var money).Should().Be(Amounts.Problem.None);
        money.Minor.Should().Be(Amounts.MaxMinor);
    }

    [Theory]
    [InlineData("10000000000000.01", "USD")]
    [InlineData("1000000000000001", "JPY")]
    [InlineData("1000000000000.001", "KWD")]
    [InlineData("99999999999999999", "USD")]
    [InlineData("12345678901234567890", "JPY")]
    [InlineData("9999999999999999", "USD")]
    [InlineData("9223372036854775", "KWD")]
    public void more_than_ten_to_the_fifteen_minor_units_is_too_large(string amount, string currency) =>
        Amounts.TryParse(amount, currency, out _).Should().Be(Amounts.Problem.TooLarge);

    // Regression: 16 whole digits times 1000 once overflowed a long and wrapped to a negative amount.
    [Theory]
    [InlineData("9223372036854776", "KWD")]
    [InlineData("9999999999999999.999", "KWD")]
    [InlineData("9999999999999999", "BHD")]
    public void sixteen_whole_digits_in_a_three_decimal_currency_are_too_large_not_negative(string amount, string currency)
    {
        Amounts.TryParse(amount, currency, out var money).Should().Be(Amounts.Problem.TooLarge);
        money.Minor.Should().Be(0);
    }

    [Theory]
    [InlineData(0L, 0, "0")]
    [InlineData(1_500L, 0, "1500")]
    [InlineData(1_234L, 2, "12.34")]
    [InlineData(5L, 2, "0.05")]
    [InlineData(100L, 2, "1.00")]
    [InlineData(0L, 2, "0.00")]
    [InlineData(-1_234L, 2, "-12.34")]
    [InlineData(-5L, 2, "-0.05")]
    [InlineData(1_234L, 3, "1.234")]
    [InlineData(1L, 3, "0.001")]
    [InlineData(1_000_000_000_000_000L, 2, "10000000000000.00")]
    public void formatting_writes_exactly_the_currencys_decimals(long minor, int minorUnits, string expected) =>
        Amounts.Format(minor, minorUnits).Should().Be(expected);

    [Theory]
    [InlineData(1_234L, "JPY", "1234")]
    [InlineData(1_234L, "USD", "12.34")]
    [InlineData(1_234L, "KWD", "1.234")]
    public void formatting_by_code_uses_the_tables_minor_units(long minor, string currency, string expected)
    {
        Amounts.Format(minor, currency).Should().Be(expected);
        new Money.Money(minor, currency).Format().Should().Be(expected);
        new Money.Money(minor, currency).ToString().Should().Be($"{expected} {currency}");
    }

    [Theory]
    [InlineData("12.34", "USD")]
    [InlineData("0.01", "USD")]
    [InlineData("1500", "JPY")]
    [InlineData("1.234", "KWD")]
    [InlineData("0.001", "KWD")]
    public void what_is_formatted_parses_back_to_the_same_amount(string amount, string currency)
    {
        Amounts.TryParse(amount, currency, out var money).Should().Be(Amounts.Problem.None);
        money.Format().Should().Be(amount);
    }

    [Fact]
    public void the_table_has_the_usual_minor_units()
    {
        Currencies.Get("JPY").MinorUnits.Should().Be(0);
        Currencies.Get("USD").MinorUnits.Should().Be(2);
        Currencies.Get("KWD").MinorUnits.Should().Be(3);
        Currencies.Get("KWD").Factor.Should().Be(1_000);
    }

    [Theory]
    [InlineData(Amounts.Problem.Malformed)]
    [InlineData(Amounts.Problem.TooPrecise)]
    [InlineData(Amounts.Problem.NotPositive)]
    [InlineData(Amounts.Problem.TooLarge)]
    [InlineData(Amounts.Problem.UnknownCurrency)]
    [InlineData(Amounts.Problem.UnsupportedCurrency)]
    public void every_problem_is_described(Amounts.Problem problem) => Amounts.Describe(problem).Should().NotBeNullOrWhiteSpace();
}
