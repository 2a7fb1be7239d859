using System.Security.Claims;
using Ledger.CommandApi.Engine;
using Ledger.CommandApi.Payments;
using Ledger.Domain.Accounts;
using Ledger.Domain.Common;
using Ledger.Domain.Fx;
using Ledger.Domain.Money;
using Ledger.Domain.Payments;
using Ledger.Projections.Money;
using Ledger.Projections.Store;
using Ledger.ServiceDefaults;
using Marten;

namespace Ledger.CommandApi.Fx;

public sealed record QuoteRequest(string? SellCurrency, string? BuyCurrency, string? SellAmount, string? BuyAmount, string? AccountId);

public sealed record ConversionRequest(string? AccountId, string? QuoteId);

public sealed record RateView(string Currency, string Rate);

public sealed record RatesView(string Base, string Source, DateTimeOffset AsOf, IReadOnlyList<RateView> Rates);

public sealed record QuoteView(
    string Id,
    string? AccountId,
    string Rate,
    MoneyView SellAmount,
    MoneyView BuyAmount,
    MoneyView Fee,
    string RateSource,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt);

/// <summary>SPEC "Multi-currency": reference rates, quotes that lock a price, conversions within an account.</summary>
public static class FxEndpoints
{
    public static IEndpointRouteBuilder MapFx(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/fx/rates", (string? @base, IRatesProvider rates, FxOptions options, TimeProvider clock) => Rates(@base, rates, options, clock))
            .WithTags("Multi-currency")
            .WithSummary("Reference rates (mid-market, no spread) against a base currency, with their source and timestamp.")
            .Produces<RatesView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        app.MapPost("/v1/fx/quotes", (QuoteRequest body, ClaimsPrincipal user, IRatesProvider rates, FxOptions options, IDocumentStore store, TimeProvider clock, CancellationToken ct) =>
                QuoteAsync(body, user.Actor(), rates, options, store, clock, ct))
            .WithTags("Multi-currency")
            .WithSummary("Price a conversion: give sellAmount or buyAmount. The rate is locked until expiresAt (default 30 s) and the quote is used at most once.")
            .Accepts<QuoteRequest>("application/json")
            .Produces<QuoteView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        app.MapPost("/v1/conversions", (HttpContext http, ClaimsPrincipal user, IdempotencyGate gate, LedgerEngine engine, TimeProvider clock, CancellationToken ct) =>
                MoneyEndpoints.RunAsync<ConversionRequest>(http, user, gate, engine, ct, (body, actor) => Conversion(body, actor, clock)))
            .WithTags("Multi-currency")
            .WithSummary("Convert within one of your accounts at a quote's price (sell currency out, buy currency in; the spread is fee revenue). Needs an Idempotency-Key.")
            .Accepts<ConversionRequest>("application/json")
            .Produces<ConversionView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    /// <summary>The current table if it is fresh enough to price with; otherwise the problem to answer (503: not the client's fault).</summary>
    internal static (RateTable? Table, IResult? Problem) Fresh(IRatesProvider rates, FxOptions options, TimeProvider clock)
    {
        var table = rates.Current;
        if (table is null || clock.GetUtcNow() - table.AsOf > options.MaxRateAge)
        {
            return (null, Problems.Create(StatusCodes.Status503ServiceUnavailable, ErrorCodes.RatesUnavailable, "No current exchange rates.",
                table is null ? "Exchange rates have not been loaded yet; retry shortly." : $"The newest rates are from {table.AsOf:O}, older than this ledger prices with; retry later."));
        }

        return (table, null);
    }

    private static IResult Rates(string? @base, IRatesProvider rates, FxOptions options, TimeProvider clock)
    {
        var table = rates.Current;
        if (table is null)
        {
            return Fresh(rates, options, clock).Problem!;
        }

        var baseCurrency = @base ?? table.Base;
        if (CurrencyProblem("base", baseCurrency) is { } bad)
        {
            return bad;
        }

        if (!table.Currencies.Contains(baseCurrency))
        {
            return Problems.Create(StatusCodes.Status422UnprocessableEntity, ErrorCodes.CurrencyNotSupported, "No rates for this base.", $"There are no rates for {baseCurrency}.");
        }

        var list = table.Currencies.Where(c => c != baseCurrency).Order(StringComparer.Ordinal)
            .Select(c => new RateView(c, RateTable.Format(table.Mid(baseCurrency, c)!.Value)))
            .ToList();
        return TypedResults.Ok(new RatesView(baseCurrency, table.Source, table.AsOf, list));
    }

    private static async Task<IResult> QuoteAsync(QuoteRequest body, Actor actor, IRatesProvider rates, FxOptions options, IDocumentStore store, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Currencies.IsWellFormed(body.SellCurrency))
        {
            errors["sellCurrency"] = ["must be a three-letter ISO 4217 code"];
        }

        if (!Currencies.IsWellFormed(body.BuyCurrency))
        {
            errors["buyCurrency"] = ["must be a three-letter ISO 4217 code"];
        }

        if ((body.SellAmount is null) == (body.BuyAmount is null))
        {
            errors["sellAmount"] = ["give exactly one of sellAmount and buyAmount"];
        }

        if (body.AccountId is not null && !Ids.LooksLike(Ids.AccountPrefix, body.AccountId))
        {
            errors["accountId"] = ["must be an account id (acc_…)"];
        }

        if (errors.Count == 0 && body.SellCurrency == body.BuyCurrency)
        {
            errors["buyCurrency"] = ["must differ from sellCurrency"];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        if ((CurrencyProblem("sellCurrency", body.SellCurrency!) ?? CurrencyProblem("buyCurrency", body.BuyCurrency!)) is { } unsupported)
        {
            return unsupported;
        }

        var (field, text, currency) = body.SellAmount is not null ? ("sellAmount", body.SellAmount, body.SellCurrency!) : ("buyAmount", body.BuyAmount!, body.BuyCurrency!);
        if (Amounts.TryParse(text, currency, out var amount) is not Amounts.Problem.None and var problem)
        {
            return Problems.Validation(field, Amounts.Describe(problem));
        }

        if (!actor.CanOwnAccounts)
        {
            return Problems.NotFound("Quotes are for account holders.");
        }

        if (body.AccountId is not null)
        {
            await using var session = store.QuerySession();
            var account = await session.LoadAsync<AccountState>(body.AccountId, ct);
            if (account is null || !string.Equals(account.Owner, actor.Subject, StringComparison.Ordinal) || account.PersonalDataErased)
            {
                return Problems.NotFound("No such account.");
            }
        }

        var (table, stale) = Fresh(rates, options, clock);
        if (stale is not null)
        {
            return stale;
        }

        var price = body.SellAmount is not null
            ? FxPricing.ForSellAmount(table!, amount, body.BuyCurrency!, options.Spread)
            : FxPricing.ForBuyAmount(table!, body.SellCurrency!, amount, options.Spread);
        if (price is null)
        {
            return Problems.Create(StatusCodes.Status422UnprocessableEntity, ErrorCodes.CurrencyNotSupported, "No rate for this pair.",
                $"The current rates ({table!.Source}) have no rate between {body.SellCurrency} and {body.BuyCurrency}.");
        }

        if (PriceProblem(price, field) is { } tooSmallOrLarge)
        {
            return tooSmallOrLarge;
        }

        var now = clock.GetUtcNow();
        var quote = new FxQuote(Ids.New(Ids.QuotePrefix), actor.Subject, body.AccountId, price, table!.Source, now, now + options.QuoteLifetime, null);
        await using (var session = store.LightweightSession())
        {
            session.Store(quote);
            await session.SaveChangesAsync(ct);
        }

        return TypedResults.Created((string?)null, Render(quote));
    }

    /// <summary>A price the ledger cannot book: nothing to receive, or beyond the largest amount it accepts.</summary>
    internal static IResult? PriceProblem(FxPrice price, string field) =>
        price.BuyAmount.Minor <= 0 || price.NetSell <= 0
            ? Problems.Validation(field, "is too small to convert: it buys nothing after the spread")
            : price.SellAmount.Minor > Amounts.MaxMinor || price.BuyAmount.Minor > Amounts.MaxMinor
                ? Problems.Validation(field, "is larger than the ledger accepts once converted")
                : null;

    private static ValueTask<(EngineCommand?, IResult?)> Conversion(ConversionRequest body, Actor actor, TimeProvider clock)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Ids.LooksLike(Ids.AccountPrefix, body.AccountId))
        {
            errors["accountId"] = ["must be an account id (acc_…)"];
        }

        if (!Ids.LooksLike(Ids.QuotePrefix, body.QuoteId))
        {
            errors["quoteId"] = ["must be a quote id (quo_…)"];
        }

        return ValueTask.FromResult<(EngineCommand?, IResult?)>(errors.Count > 0
            ? (null, Problems.Validation(errors))
            : (new ConvertCommand(new ConvertFunds(Ids.New(Ids.ConversionPrefix), body.AccountId!, body.QuoteId!, actor, clock.GetUtcNow())), null));
    }

    /// <summary>Well-formed but not in the ISO 4217 table (retired, funds codes, metals): 422, not 400.</summary>
    internal static IResult? CurrencyProblem(string field, string code) =>
        !Currencies.IsWellFormed(code)
            ? Problems.Validation(field, "must be a three-letter ISO 4217 code")
            : Currencies.TryGet(code, out _)
                ? null
                : Problems.Create(StatusCodes.Status422UnprocessableEntity, ErrorCodes.CurrencyNotSupported, "Currency not supported.", $"{code} is not a currency this ledger supports.");

    public static QuoteView Render(FxQuote q) => new(
        q.Id,
        q.AccountId,
        RateTable.Format(q.Price.Rate),
        MoneyView.Of(q.Price.SellAmount.Minor, q.Price.SellAmount.Currency),
        MoneyView.Of(q.Price.BuyAmount.Minor, q.Price.BuyAmount.Currency),
        MoneyView.Of(q.Price.Fee, q.Price.SellAmount.Currency),
        q.RateSource,
        q.CreatedAt,
        q.ExpiresAt);
}
