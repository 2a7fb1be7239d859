using System.Globalization;
using System.Security.Claims;
using Ledger.Domain.Accounts;
using Ledger.Domain.Common;
using Ledger.Projections.Accounts;
using Ledger.Projections.Money;
using Ledger.Projections.Statements;
using Ledger.Projections.Store;
using Ledger.ServiceDefaults;
using Marten;

namespace Ledger.QueryApi.Money;

/// <summary>SPEC "Money movement" and "History": payments, balances and the postings history, read side.</summary>
public static class MoneyQueryEndpoints
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapMoneyQueries(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/payments/{id}", GetPayment)
            .WithTags("Payments")
            .WithSummary("One payment; visible to its payer's and payee's owners, support, auditors and regulators.")
            .Produces<PaymentView>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/v1/accounts/{id}/payments", ListPayments)
            .WithTags("Payments")
            .WithSummary("Payments in and out of an account, newest first; filter by status and createdAt (from inclusive, to exclusive).")
            .Produces<IReadOnlyList<PaymentView>>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/v1/accounts/{id}/balances", GetBalances)
            .WithTags("Accounts")
            .WithSummary("Balances per currency: available, pending (reserved by payments in flight), held; with asOf, as booked at that instant.")
            .WithDescription("asOf (ISO 8601): the balances as the ledger stood at that instant (currencies not yet held then are absent).")
            .Produces<IReadOnlyList<BalanceView>>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/v1/accounts/{id}/transactions", ListEntries)
            .WithTags("History")
            .WithSummary("The account's postings in time order: each change of its balance in one currency, with the balance after it.")
            .WithDescription("limit (1–500, default 50); cursor from the previous page's nextCursor; from/to (ISO 8601) bound occurredAt.")
            .Produces<EntryPage>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    internal static async Task<IResult> GetPayment(string id, ClaimsPrincipal user, IQuerySession session, CancellationToken ct)
    {
        var actor = user.Actor();
        if (!Ids.LooksLike(Ids.PaymentPrefix, id))
        {
            return Problems.NotFound("No such payment.");
        }

        var payment = await session.LoadAsync<PaymentRecord>(id, ct);
        if (payment is null || !(actor.ReadsEverything || await OwnsEitherSideAsync(session, actor, payment, ct)))
        {
            return Problems.NotFound("No such payment.");
        }

        return TypedResults.Ok(MoneyViews.Render(payment));
    }

    internal static async Task<IResult> ListPayments(
        string id, string? status, string? from, string? to, int? limit, ClaimsPrincipal user, IQuerySession session, CancellationToken ct)
    {
        if (await VisibleAccountAsync(session, user.Actor(), id, ct) is not null)
        {
            return Problems.NotFound("No such account.");
        }

        var errors = new Dictionary<string, string[]>();
        var (fromAt, toAt) = (ParseInstant(from, "from", errors), ParseInstant(to, "to", errors));
        var take = ParseLimit(limit, errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var query = session.Query<PaymentRecord>().Where(p => p.PayerAccountId == id || p.PayeeAccountId == id);
        if (status is not null)
        {
            query = query.Where(p => p.Status == status);
        }

        if (fromAt is { } f)
        {
            query = query.Where(p => p.CreatedAt >= f);
        }

        if (toAt is { } t)
        {
            query = query.Where(p => p.CreatedAt < t);
        }

        var payments = await query.OrderByDescending(p => p.CreatedAt).Take(take).ToListAsync(ct);
        return TypedResults.Ok(payments.Select(MoneyViews.Render).ToList());
    }

    internal static async Task<IResult> GetBalances(string id, string? asOf, ClaimsPrincipal user, IQuerySession session, CancellationToken ct)
    {
        if (await VisibleAccountAsync(session, user.Actor(), id, ct) is not null)
        {
            return Problems.NotFound("No such account.");
        }

        var errors = new Dictionary<string, string[]>();
        var at = ParseInstant(asOf, "asOf", errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var current = await session.LoadAsync<AccountBalances>(id, ct);
        if (at is not { } instant)
        {
            return TypedResults.Ok(MoneyViews.Render(current));
        }

        // Point in time (Ledger.Projections/Statements/BalanceHistory): one index probe per currency, at any depth.
        await using var connection = session.DocumentStore.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        var then = await BalanceHistory.AccountAsOfAsync(connection, id, current is null ? [] : current.Balances.Keys, instant, ct);
        return TypedResults.Ok(then.Balances.Select(b => MoneyViews.Render(b.Key, b.Value)).ToList());
    }

    internal static async Task<IResult> ListEntries(
        string id, string? from, string? to, int? limit, string? cursor, ClaimsPrincipal user, IQuerySession session, CancellationToken ct)
    {
        if (await VisibleAccountAsync(session, user.Actor(), id, ct) is not null)
        {
            return Problems.NotFound("No such account.");
        }

        var errors = new Dictionary<string, string[]>();
        var (fromAt, toAt) = (ParseInstant(from, "from", errors), ParseInstant(to, "to", errors));
        var take = ParseLimit(limit, errors);
        long after = 0;
        if (cursor is not null && !long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            errors["cursor"] = ["must be a nextCursor from a previous page"];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var entries = await EntryStore.PageAsync(session.DocumentStore, id, after, fromAt, toAt, take + 1, ct);
        var page = entries.Take(take).Select(MoneyViews.Render).ToList();
        var next = entries.Count > take ? entries[take - 1].Seq.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new EntryPage(page, next));
    }

    /// <summary>Null when the caller may read the account (owner, or a role that reads everything); else why not.</summary>
    internal static async Task<string?> VisibleAccountAsync(IQuerySession session, Actor actor, string id, CancellationToken ct)
    {
        if (!Ids.LooksLike(Ids.AccountPrefix, id))
        {
            return "not found";
        }

        var state = await session.LoadAsync<AccountState>(id, ct);
        return state is not null && (actor.ReadsEverything || (state.IsOwnedBy(actor) && !state.PersonalDataErased)) ? null : "not found";
    }

    private static async Task<bool> OwnsEitherSideAsync(IQuerySession session, Actor actor, PaymentRecord payment, CancellationToken ct)
    {
        if (payment.PayerOwner == actor.Subject)
        {
            return true;
        }

        var payee = await session.LoadAsync<AccountState>(payment.PayeeAccountId, ct);
        return payee is not null && payee.IsOwnedBy(actor);
    }

    internal static DateTimeOffset? ParseInstant(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            return parsed;
        }

        errors[field] = ["must be an ISO 8601 instant, e.g. 2026-11-24T09:00:00Z"];
        return null;
    }

    internal static int ParseLimit(int? limit, Dictionary<string, string[]> errors)
    {
        if (limit is null)
        {
            return DefaultLimit;
        }

        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"must be between 1 and {MaxLimit}"];
        }

        return Math.Clamp(limit.Value, 1, MaxLimit);
    }
}
