using Ledger.Domain.Ledger;
using Ledger.Domain.Money;
using Ledger.Projections.Accounts;

namespace Ledger.Projections.Money;

/// <summary>SPEC's amount on the wire: a decimal string in major units and an ISO 4217 code.</summary>
public sealed record MoneyView(string Amount, string Currency)
{
    public static MoneyView Of(long minor, string currency) => new(Amounts.Format(minor, currency), currency);
}

public sealed record PaymentView(
    string Id,
    string Status,
    string PayerAccountId,
    string PayeeAccountId,
    MoneyView Amount,
    MoneyView SettledAmount,
    string? FxRate,
    string? RiskScore,
    string Purpose,
    string? Description,
    IReadOnlyDictionary<string, string>? Metadata,
    IReadOnlyList<string>? Reasons,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt);

public sealed record TransactionView(
    string Id,
    string Kind,
    string AccountId,
    MoneyView Amount,
    string Reference,
    MoneyView BalanceAfter,
    DateTimeOffset CreatedAt);

/// <summary>A conversion within one account, as <c>POST /v1/conversions</c> answers it.</summary>
public sealed record ConversionView(
    string Id,
    string AccountId,
    string QuoteId,
    MoneyView SellAmount,
    MoneyView BuyAmount,
    MoneyView Fee,
    string Rate,
    DateTimeOffset CreatedAt);

public sealed record EntryView(
    string Id,
    string? PaymentId,
    string? TransactionId,
    string Kind,
    string Direction,
    MoneyView Amount,
    MoneyView BalanceAfter,
    string? Counterparty,
    DateTimeOffset OccurredAt);

public sealed record EntryPage(IReadOnlyList<EntryView> Items, string? NextCursor);

public static class MoneyViews
{
    public static PaymentView Render(PaymentRecord p) => new(
        p.Id,
        p.Status,
        p.PayerAccountId,
        p.PayeeAccountId,
        MoneyView.Of(p.Amount, p.Currency),
        MoneyView.Of(p.SettledAmount, p.SettledCurrency),
        p.FxRate is { } rate ? Ledger.Domain.Fx.RateTable.Format(rate) : null,
        p.RiskScoreBasisPoints is { } bp ? (bp / 10_000m).ToString("0.0###", System.Globalization.CultureInfo.InvariantCulture) : null,
        p.Purpose,
        p.Description,
        p.Metadata,
        p.Reasons.Count == 0 ? null : p.Reasons,
        p.CreatedAt,
        p.CompletedAt);

    public static ConversionView Render(Ledger.Domain.Payments.FundsConverted e) => new(
        e.ConversionId,
        e.AccountId,
        e.QuoteId,
        MoneyView.Of(e.SellAmount, e.SellCurrency),
        MoneyView.Of(e.BuyAmount, e.BuyCurrency),
        MoneyView.Of(e.Fee, e.SellCurrency),
        Ledger.Domain.Fx.RateTable.Format(e.Rate),
        e.At);

    public static TransactionView Render(TransactionRecord t) => new(
        t.Id, t.Kind, t.AccountId, MoneyView.Of(t.Amount, t.Currency), t.Reference, MoneyView.Of(t.BalanceAfter, t.Currency), t.CreatedAt);

    public static EntryView Render(LedgerEntry e) => new(
        e.Id,
        e.PaymentId,
        e.TransactionId,
        e.Kind,
        e.Amount >= 0 ? "credit" : "debit",
        MoneyView.Of(Math.Abs(e.Amount), e.Currency),
        MoneyView.Of(e.BalanceAfter, e.Currency),
        e.Counterparty,
        e.OccurredAt);

    public static IReadOnlyList<BalanceView> Render(AccountBalances? balances) =>
        balances is null
            ? []
            : balances.Balances.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => Render(b.Key, b.Value)).ToList();

    public static BalanceView Render(string currency, Balance b) => new(
        currency, Amounts.Format(b.Available, currency), Amounts.Format(b.Pending, currency), Amounts.Format(b.Held, currency));
}
