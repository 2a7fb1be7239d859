using System.Security.Claims;
using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Money;
using Ledger.Projections.Statements;
using Ledger.QueryApi.Accounts;
using Ledger.QueryApi.Money;
using Ledger.ServiceDefaults;
using Marten;
using Microsoft.Net.Http.Headers;

namespace Ledger.QueryApi.Statements;

/// <summary>SPEC "History, statements, audit": point-in-time statements and the trial balance of the whole ledger.</summary>
public static class StatementEndpoints
{
    public static IEndpointRouteBuilder MapStatements(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/accounts/{id}/statement", GetStatement)
            .WithTags("History")
            .WithSummary("Point-in-time statement: per currency, the opening balance at from, the entries booked in (from, asOf], the closing balance at asOf.")
            .WithDescription("Accept: application/json (default), text/csv or application/pdf; the three agree to the cent. from (ISO 8601) is optional " +
                "(absent: from the account's opening); asOf defaults to now. Owners read their own accounts; support, auditors and regulators read all.")
            .Produces<StatementView>()
            .Produces(StatusCodes.Status200OK, contentType: StatementCsv.ContentType)
            .Produces(StatusCodes.Status200OK, contentType: StatementPdf.ContentType)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/v1/ledger/trial-balance", GetTrialBalance)
            .WithTags("History")
            .WithSummary("Trial balance as of an instant: per currency, every account's balance (system accounts by name) and total debits = total credits.")
            .WithDescription("Support, auditors and regulators only (403 for other roles). asOf (ISO 8601) defaults to now.")
            .Produces<TrialBalanceView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }

    internal static async Task<IResult> GetStatement(
        string id, string? from, string? asOf, ClaimsPrincipal user, IQuerySession session, AccountViewCache cache, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        // Ownership first (404 for what is not yours, analysts included: they see no account), then the query.
        if (await MoneyQueryEndpoints.VisibleAccountAsync(session, user.Actor(), id, ct) is not null
            || await cache.GetAsync(session, id, ct) is not { } account)
        {
            return Problems.NotFound("No such account.");
        }

        var errors = new Dictionary<string, string[]>();
        var fromAt = MoneyQueryEndpoints.ParseInstant(from, "from", errors);
        var asOfAt = MoneyQueryEndpoints.ParseInstant(asOf, "asOf", errors) ?? clock.GetUtcNow();
        if (errors.Count == 0 && fromAt > asOfAt)
        {
            errors["from"] = ["must not be after asOf"];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var statement = await Statement.LoadAsync(session, account.View, fromAt, asOfAt, ct);
        http.Response.Headers.Vary = HeaderNames.Accept;
        return Negotiate(http.Request) switch
        {
            StatementCsv.ContentType => TypedResults.File(StatementCsv.Render(statement), "text/csv; charset=utf-8", $"statement-{id}.csv"),
            StatementPdf.ContentType => TypedResults.File(StatementPdf.Render(statement), StatementPdf.ContentType, $"statement-{id}.pdf"),
            _ => TypedResults.Ok(StatementView.Of(statement)),
        };
    }

    internal static async Task<IResult> GetTrialBalance(string? asOf, ClaimsPrincipal user, IQuerySession session, TimeProvider clock, CancellationToken ct)
    {
        // Not about an object the caller might own: a role question, so 403 (docs/api.md "403 vs 404").
        if (!user.Actor().ReadsEverything)
        {
            return Problems.From(DomainError.Forbidden("The trial balance is for support, auditors and regulators."));
        }

        var errors = new Dictionary<string, string[]>();
        var at = MoneyQueryEndpoints.ParseInstant(asOf, "asOf", errors) ?? clock.GetUtcNow();
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        await using var connection = session.DocumentStore.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        var rows = await BalanceHistory.AllAsOfAsync(connection, at, ct);
        return TypedResults.Ok(TrialBalanceView.Of(at, rows));
    }

    /// <summary>
    /// The first of JSON, CSV and PDF the Accept header names, by quality then order; JSON when it names none of them
    /// (a browser's <c>text/html, */*</c> gets JSON, the default, rather than a 406).
    /// </summary>
    internal static string Negotiate(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted))
        {
            return "application/json";
        }

        foreach (var media in accepted.Where(m => m.Quality is not 0).OrderByDescending(m => m.Quality ?? 1))
        {
            var type = media.MediaType.Value?.ToLowerInvariant();
            if (type is "application/json" or StatementCsv.ContentType or StatementPdf.ContentType)
            {
                return type;
            }
        }

        return "application/json";
    }
}

/// <summary>One account's line: its buckets and balance, and that balance as a debit or a credit.</summary>
public sealed record TrialAccountView(string Account, string Type, string Available, string Pending, string Held, string Balance, string Debit, string Credit);

public sealed record TrialCurrencyView(string Currency, string TotalDebits, string TotalCredits, bool Balanced, IReadOnlyList<TrialAccountView> Accounts);

/// <summary>
/// The trial balance. Balances are signed from the account's side (a posting adds to or takes from it), so from the
/// ledger's books a positive balance is a credit (what the ledger owes: customer money, fee revenue) and a negative one
/// a debit (what it holds or is owed: settlement is the money at the banks, a reserve that paid out). Per currency the
/// debits equal the credits exactly when every posting netted to zero.
/// </summary>
public sealed record TrialBalanceView(DateTimeOffset AsOf, bool Balanced, IReadOnlyList<TrialCurrencyView> Currencies)
{
    public static TrialBalanceView Of(DateTimeOffset asOf, IReadOnlyList<AccountCurrencyBalance> rows)
    {
        var currencies = rows
            .GroupBy(r => r.Currency, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var c = g.Key;
                long debits = 0, credits = 0;
                var accounts = new List<TrialAccountView>();
                foreach (var r in g.OrderBy(r => SystemAccounts.IsSystem(r.Account) ? 0 : 1).ThenBy(r => r.Account, StringComparer.Ordinal))
                {
                    var total = r.Balance.Total;
                    debits = checked(debits + (total < 0 ? -total : 0));
                    credits = checked(credits + (total > 0 ? total : 0));
                    accounts.Add(new TrialAccountView(
                        r.Account,
                        SystemAccounts.IsSystem(r.Account) ? "system" : "customer",
                        Amounts.Format(r.Balance.Available, c),
                        Amounts.Format(r.Balance.Pending, c),
                        Amounts.Format(r.Balance.Held, c),
                        Amounts.Format(total, c),
                        Amounts.Format(total < 0 ? -total : 0, c),
                        Amounts.Format(total > 0 ? total : 0, c)));
                }

                return new TrialCurrencyView(c, Amounts.Format(debits, c), Amounts.Format(credits, c), debits == credits, accounts);
            })
            .ToList();
        return new TrialBalanceView(asOf, currencies.All(c => c.Balanced), currencies);
    }
}
