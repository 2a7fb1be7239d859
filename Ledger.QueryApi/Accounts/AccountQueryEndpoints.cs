using System.Security.Claims;
using Ledger.Projections.Accounts;
using Ledger.Projections.Store;
using Ledger.ServiceDefaults;
using Marten;

namespace Ledger.QueryApi.Accounts;

public static class AccountQueryEndpoints
{
    public static IEndpointRouteBuilder MapAccountQueries(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/accounts/{id}", Get)
            .WithTags("Accounts")
            .WithSummary("The account view; ETag is its version (send it as If-Match on PATCH).")
            .WithDescription("Owners see their own accounts; support, auditors and regulators see all. A deleted account is 404 to its owner and shows [redacted] personal data to support, auditors and regulators.")
            .Produces<AccountView>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    internal static async Task<IResult> Get(string id, ClaimsPrincipal user, IQuerySession session, AccountViewCache cache, HttpContext http, CancellationToken ct)
    {
        var actor = user.Actor();
        if (!Ids.LooksLike(Ids.AccountPrefix, id))
        {
            return Problems.NotFound("No such account.");
        }

        var found = await cache.GetAsync(session, id, ct);
        if (found is not { } account)
        {
            return Problems.NotFound("No such account.");
        }

        // Ownership first. Erased accounts are gone for their owner; readers of everything see them redacted.
        var visible = actor.ReadsEverything || (account.State.IsOwnedBy(actor) && !account.State.PersonalDataErased);
        if (!visible)
        {
            return Problems.NotFound("No such account.");
        }

        http.Response.Headers.ETag = AccountViews.ETag(account.View.Version);
        return TypedResults.Ok(account.View);
    }
}
