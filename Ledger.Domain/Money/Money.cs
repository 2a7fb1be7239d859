using System.Globalization;

namespace Ledger.Domain.Money;

/// <summary>
/// An amount in integer minor units of one currency. Arithmetic across currencies throws: it is always a bug.
/// No floating point anywhere (CONVENTIONS rule 3).
/// </summary>
public readonly record struct Money(long Minor, string Currency)
{
    public static Money operator +(Money a, Money b) => new(checked(a.Minor + b.Minor), Same(a, b));

    public static Money operator -(Money a, Money b) => new(checked(a.Minor - b.Minor), Same(a, b));

    public static Money operator -(Money a) => new(checked(-a.Minor), a.Currency);

    public bool IsPositive => Minor > 0;

    private static string Same(Money a, Money b) =>
        a.Currency == b.Currency ? a.Currency : throw new InvalidOperationException($"Cannot combine {a.Currency} with {b.Currency}.");

    /// <summary>The SPEC's wire form: a decimal string in major units with exactly the currency's minor digits.</summary>
    public string Format() => Amounts.Format(Minor, Currencies.Get(Currency).MinorUnits);

    public override string ToString() => Format() + " " + Currency;
}

/// <summary>Parsing and formatting of SPEC's <c>{"amount": "12.34", "currency": "USD"}</c>.</summary>
public static class Amounts
{
    /// <summary>Largest accepted amount in minor units: 10^15 (a quadrillion cents), far from overflow when summed.</summary>
    public const long MaxMinor = 1_000_000_000_000_000;

    public enum Problem
    {
        None,
        Malformed,
        TooPrecise,
        NotPositive,
        TooLarge,
        UnknownCurrency,
        UnsupportedCurrency,
    }

    /// <summary>
    /// Parses a positive decimal string ("12.34", "5", "0.5") into minor units. Rejects exponents, signs other than a
    /// leading '-', grouping, whitespace, and more decimals than the currency has (SPEC: a 400).
    /// </summary>
    public static Problem TryParse(string? amount, string? currencyCode, out Money money)
    {
        money = default;
        if (!Currencies.IsWellFormed(currencyCode))
        {
            return Problem.UnknownCurrency;
        }

        if (!Currencies.TryGet(currencyCode, out var currency))
        {
            return Problem.UnsupportedCurrency;
        }

        if (string.IsNullOrEmpty(amount) || amount.Length > 40)
        {
            return Problem.Malformed;
        }

        var negative = amount[0] == '-';
        var body = negative ? amount[1..] : amount;
        var dot = body.IndexOf('.');
        var whole = dot < 0 ? body : body[..dot];
        var fraction = dot < 0 ? string.Empty : body[(dot + 1)..];
        if (whole.Length == 0 || !whole.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit) || (dot >= 0 && fraction.Length == 0))
        {
            return Problem.Malformed;
        }

        if (fraction.TrimEnd('0').Length > currency.MinorUnits)
        {
            return Problem.TooPrecise;
        }

        fraction = fraction.Length > currency.MinorUnits ? fraction[..currency.MinorUnits] : fraction.PadRight(currency.MinorUnits, '0');
        var trimmedWhole = whole.TrimStart('0');
        if (trimmedWhole.Length > 16)
        {
            return Problem.TooLarge;
        }

        // Checked: sixteen whole digits times 10^3 (KWD) does not fit a long; it must be "too large", never wrap.
        long minor;
        try
        {
            minor = checked((trimmedWhole.Length == 0 ? 0 : long.Parse(trimmedWhole, CultureInfo.InvariantCulture)) * currency.Factor
                + (fraction.Length == 0 ? 0 : long.Parse(fraction, CultureInfo.InvariantCulture)));
        }
        catch (OverflowException)
        {
            return Problem.TooLarge;
        }
        if (negative || minor == 0)
        {
            return Problem.NotPositive;
        }

        if (minor > MaxMinor)
        {
            return Problem.TooLarge;
        }

        money = new Money(minor, currency.Code);
        return Problem.None;
    }

    public static string Describe(Problem problem) => problem switch
    {
        Problem.Malformed => "must be a decimal string in major units, e.g. \"12.34\"",
        Problem.TooPrecise => "has more decimals than the currency's minor units",
        Problem.NotPositive => "must be greater than zero",
        Problem.TooLarge => "is larger than the ledger accepts",
        Problem.UnknownCurrency => "must be a three-letter ISO 4217 code",
        Problem.UnsupportedCurrency => "is not a currency this ledger supports",
        _ => string.Empty,
    };

    public static string Format(long minor, int minorUnits)
    {
        if (minorUnits == 0)
        {
            return minor.ToString(CultureInfo.InvariantCulture);
        }

        var factor = (long)Math.Pow(10, minorUnits);
        var sign = minor < 0 ? "-" : string.Empty;
        var abs = Math.Abs(minor);
        return string.Create(CultureInfo.InvariantCulture, $"{sign}{abs / factor}.{(abs % factor).ToString(CultureInfo.InvariantCulture).PadLeft(minorUnits, '0')}");
    }

    public static string Format(long minor, string currency) => Format(minor, Currencies.Get(currency).MinorUnits);
}
