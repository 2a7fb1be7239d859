namespace Ledger.Domain.Fx;

/// <summary>
/// Reference rates as one source published them: units of each currency per one unit of <see cref="Base"/> (ECB: per
/// EUR), with where they came from and the instant they describe. Rates are <c>decimal</c> ratios, never money:
/// amounts stay integer minor units and meet a rate only in <see cref="FxPricing"/>, where rounding is explicit.
/// </summary>
public sealed record RateTable(string Base, IReadOnlyDictionary<string, decimal> PerBase, string Source, DateTimeOffset AsOf)
{
    /// <summary>Digits kept after the decimal point in a cross rate (ECB publishes 4–6 significant digits).</summary>
    public const int RateDecimals = 10;

    /// <summary>The mid-market rate: units of <paramref name="to"/> for one unit of <paramref name="from"/>, crossed
    /// through the base currency; null when either currency has no rate here.</summary>
    public decimal? Mid(string from, string to)
    {
        if (from == to)
        {
            return 1m;
        }

        if (Rate(from) is not { } f || Rate(to) is not { } t)
        {
            return null;
        }

        return decimal.Round(t / f, RateDecimals, MidpointRounding.ToEven);
    }

    /// <summary>A rate as the API shows it: invariant culture, no trailing zeros ("149.25", not "149.250").</summary>
    public static string Format(decimal rate) => rate.ToString("0.##########", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Every currency quoted here, base included.</summary>
    public IEnumerable<string> Currencies => PerBase.Keys.Append(Base).Distinct(StringComparer.Ordinal);

    private decimal? Rate(string currency) =>
        currency == Base ? 1m : PerBase.TryGetValue(currency, out var r) && r > 0 ? r : null;
}

/// <summary>What pricing one conversion produced: all amounts in minor units of their own currency.</summary>
/// <param name="SellAmount">What the customer gives, fee included.</param>
/// <param name="Fee">The spread, in the sell currency: fee revenue.</param>
/// <param name="BuyAmount">What the customer (or payee) receives.</param>
/// <param name="Rate">The customer's rate (mid less the spread), as shown on the quote.</param>
/// <param name="MidRate">The reference rate the price was made from.</param>
public sealed record FxPrice(Money.Money SellAmount, long Fee, Money.Money BuyAmount, decimal Rate, decimal MidRate)
{
    /// <summary>The part of the sell amount actually converted at the mid rate (what reaches the fx account).</summary>
    public long NetSell => SellAmount.Minor - Fee;
}

/// <summary>
/// Prices conversions. The rounding rules are named and each one favours no one at the ledger's expense:
/// <list type="bullet">
/// <item><b>Fee</b>: the spread on the sell amount, rounded half-up to the sell currency's minor units.</item>
/// <item><b>Buy amount</b>: the net sell amount at the mid rate, rounded <i>down</i> to the buy currency's minor units
/// (the house never pays out a fraction it did not receive).</item>
/// <item><b>Sell amount for a wanted buy amount</b>: the smallest sell amount that the two rules above turn into at
/// least the wanted amount (the customer receives exactly what was asked for; any sub-unit excess stays with the fx
/// account).</item>
/// </list>
/// Each currency of a conversion is booked separately and balances on its own, so rounding can move value between
/// the customer and the fx account but can never create or destroy money in any currency.
/// </summary>
public static class FxPricing
{
    /// <summary>Largest spread accepted (configuration guard): 10%.</summary>
    public const decimal MaxSpread = 0.10m;

    public static FxPrice? ForSellAmount(RateTable rates, Money.Money sell, string buyCurrency, decimal spread)
    {
        if (rates.Mid(sell.Currency, buyCurrency) is not { } mid)
        {
            return null;
        }

        var fee = Fee(sell.Minor, spread);
        var buy = Buys(sell.Minor, mid, Scale(sell.Currency, buyCurrency), spread);
        return new FxPrice(sell, fee, new Money.Money(buy, buyCurrency), CustomerRate(mid, spread), mid);
    }

    public static FxPrice? ForBuyAmount(RateTable rates, string sellCurrency, Money.Money buy, decimal spread)
    {
        if (rates.Mid(sellCurrency, buy.Currency) is not { } mid)
        {
            return null;
        }

        // Estimate, then settle on the smallest sell amount that the sell-side rules above turn into at least the
        // wanted amount: both directions price with one rule, so a quote for either side is the same deal.
        var scale = Scale(sellCurrency, buy.Currency);
        var gross = Math.Max(1, (long)decimal.Ceiling(decimal.Ceiling(buy.Minor / (mid * scale)) / (1m - spread)));
        while (gross > 1 && Buys(gross - 1, mid, scale, spread) >= buy.Minor)
        {
            gross--;
        }

        while (Buys(gross, mid, scale, spread) < buy.Minor)
        {
            gross++;
        }

        var fee = Fee(gross, spread);
        return new FxPrice(new Money.Money(gross, sellCurrency), fee, buy, CustomerRate(mid, spread), mid);
    }

    private static long Fee(long sell, decimal spread) => (long)decimal.Round(sell * spread, 0, MidpointRounding.AwayFromZero);

    private static long Buys(long sell, decimal mid, decimal scale, decimal spread) => (long)decimal.Floor((sell - Fee(sell, spread)) * mid * scale);

    /// <summary>Minor units of the buy currency per (mid × minor unit of the sell currency): 10^(buy − sell digits).</summary>
    private static decimal Scale(string sell, string buy) =>
        (decimal)Money.Currencies.Get(buy).Factor / Money.Currencies.Get(sell).Factor;

    private static decimal CustomerRate(decimal mid, decimal spread) =>
        decimal.Round(mid * (1m - spread), RateTable.RateDecimals, MidpointRounding.ToZero);
}

/// <summary>A priced conversion offered to one customer: the rate is locked until <see cref="ExpiresAt"/>, and it is
/// used at most once (SPEC "Multi-currency").</summary>
public sealed record FxQuote(string Id, string Owner, string? AccountId, FxPrice Price, string RateSource, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string? UsedBy);

/// <summary>The checks a quote passes before money moves at its price, in the order their errors matter.</summary>
public static class QuoteRules
{
    public static Common.DomainError? Check(FxQuote? quote, Common.Actor actor, string accountId, DateTimeOffset now)
    {
        // Someone else's quote, or one bound to another account, does not exist for this caller.
        if (quote is null || !string.Equals(quote.Owner, actor.Subject, StringComparison.Ordinal) || (quote.AccountId is { } bound && bound != accountId))
        {
            return Common.DomainError.NotFound("No such quote.");
        }

        if (quote.UsedBy is not null)
        {
            return Common.DomainError.Rule(Common.ErrorCodes.QuoteUsed, "This quote has already been used; ask for a new one.");
        }

        if (now >= quote.ExpiresAt)
        {
            return Common.DomainError.Rule(Common.ErrorCodes.QuoteExpired, $"This quote expired at {quote.ExpiresAt:O}; ask for a new one.");
        }

        return null;
    }
}
