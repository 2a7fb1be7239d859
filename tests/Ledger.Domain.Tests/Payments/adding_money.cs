namespace Ledger.Domain.Tests.Payments;

public class adding_money
{
    private static Money.Money Usd(long minor) => new(minor, "USD");

    [Fact]
    public void amounts_in_one_currency_add_and_subtract_in_minor_units()
    {
        (Usd(1_250) + Usd(5)).Should().Be(Usd(1_255));
        (Usd(1_250) - Usd(1_300)).Should().Be(Usd(-50));
        (-Usd(7)).Should().Be(Usd(-7));
    }

    [Fact]
    public void adding_across_currencies_throws()
    {
        var add = () => Usd(100) + new Money.Money(100, "EUR");
        add.Should().Throw<InvalidOperationException>().WithMessage("*USD*EUR*");
    }

    [Fact]
    public void subtracting_across_currencies_throws()
    {
        var subtract = () => Usd(100) - new Money.Money(100, "JPY");
        subtract.Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void overflow_throws_instead_of_wrapping()
    {
        var add = () => Usd(long.MaxValue) + Usd(1);
        add.Should().Throw<OverflowException>();
    }

    [Fact]
    public void only_amounts_above_zero_are_positive()
    {
        Usd(1).IsPositive.Should().BeTrue();
        Usd(0).IsPositive.Should().BeFalse();
        Usd(-1).IsPositive.Should().BeFalse();
    }
}
