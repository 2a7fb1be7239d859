using Ledger.Domain.Ledger;
using Ledger.Domain.Money;
using Ledger.Projections.Accounts;
using Ledger.Projections.Money;
using Ledger.Projections.Statements;
using Marten;

namespace Ledger.QueryApi.Statements;

/// <summary>One currency of a statement, in minor units: what every format (JSON, CSV, PDF) renders.</summary>
public sealed record CurrencyStatement(string Currency, Balance Opening, Balance Closing, IReadOnlyList<LedgerEntry> Entries)
{
    public long Credits => Entries.Where(e => e.Amount > 0).Sum(e => e.Amount);
    public long Debits => -Entries.Where(e => e.Amount < 0).Sum(e => e.Amount);
}

/// <summary>A point-in-time statement: the account, the period (from, asOf], and each currency's part.</summary>
public sealed record Statement(string AccountId, string Username, string Name, string Status, DateTimeOffset? From, DateTimeOffset AsOf, IReadOnlyList<CurrencyStatement> Currencies)
{
    /// <summary>
    /// Opening balances as booked at <paramref name="from"/> (zero without one), closing as booked at
    /// <paramref name="asOf"/>, and the entries booked in between: the account's entries whose seq lies between the
    /// two instants' entry counts (an account's entries are numbered in booking order, see BalanceHistory). So the
    /// closing total is the opening total plus the entries, to the cent, whatever the entries' own occurredAt says.
    /// </summary>
    public static async Task<Statement> LoadAsync(IQuerySession session, AccountView account, DateTimeOffset? from, DateTimeOffset asOf, CancellationToken ct)
    {
        var currencies = (await session.LoadAsync<AccountBalances>(account.Id, ct))?.Balances.Keys.ToList() ?? [];
        await using var connection = session.DocumentStore.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        var opening = from is { } f
            ? await BalanceHistory.AccountAsOfAsync(connection, account.Id, currencies, f, ct)
            : new AccountAsOf(new Dictionary<string, Balance>(), 0);
        var closing = await BalanceHistory.AccountAsOfAsync(connection, account.Id, currencies, asOf, ct);
        var entries = await StatementEntries.RangeAsync(connection, account.Id, opening.EntryCount, closing.EntryCount, ct);
        var byCurrency = entries.ToLookup(e => e.Currency, StringComparer.Ordinal);
        var parts = closing.Balances.Keys
            .Select(c => new CurrencyStatement(c, opening.Balances.GetValueOrDefault(c), closing.Balances[c], byCurrency[c].ToList()))
            .ToList();
        return new Statement(account.Id, account.Username, account.Name, account.Status, from, asOf, parts);
    }
}

/// <summary>Buckets and their total, as decimal strings in major units.</summary>
public sealed record StatementBalanceView(string Available, string Pending, string Held, string Total)
{
    public static StatementBalanceView Of(Balance b, string currency) => new(
        Amounts.Format(b.Available, currency), Amounts.Format(b.Pending, currency), Amounts.Format(b.Held, currency), Amounts.Format(b.Total, currency));
}

public sealed record CurrencyStatementView(
    string Currency,
    StatementBalanceView Opening,
    StatementBalanceView Closing,
    string Credits,
    string Debits,
    IReadOnlyList<EntryView> Entries);

/// <summary>The JSON statement. Amounts are decimal strings in the currency's major units, like everywhere else.</summary>
public sealed record StatementView(
    string AccountId,
    string Username,
    string Name,
    string Status,
    DateTimeOffset? From,
    DateTimeOffset AsOf,
    IReadOnlyList<CurrencyStatementView> Currencies)
{
    public static StatementView Of(Statement s) => new(
        s.AccountId,
        s.Username,
        s.Name,
        s.Status,
        s.From,
        s.AsOf,
        s.Currencies.Select(c => new CurrencyStatementView(
            c.Currency,
            StatementBalanceView.Of(c.Opening, c.Currency),
            StatementBalanceView.Of(c.Closing, c.Currency),
            Amounts.Format(c.Credits, c.Currency),
            Amounts.Format(c.Debits, c.Currency),
            c.Entries.Select(MoneyViews.Render).ToList())).ToList());
}
