using System.Security.Claims;
using Ledger.Projections.Money;
using Ledger.Projections.Store;
using Ledger.ServiceDefaults;
using Marten;

namespace Ledger.QueryApi.Money;

/// <summary>SPEC "Buyer and seller protection", read side: a dispute, and an account's disputes (as payer or payee).</summary>
public static class DisputeQueryEndpoints
{
    public static IEndpointRouteBuilder MapDisputeQueries(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/disputes/{id}", GetDispute)
            .WithTags("Buyer and seller protection")
            .WithSummary("One dispute: visible to the payer's and the payee's owners, and to support, auditors and regulators.")
            .Produces<DisputeView>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/v1/accounts/{id}/disputes", ListDisputes)
            .WithTags("Buyer and seller protection")
            .WithSummary("Disputes on payments from or to the account, newest first.")
            .Produces<List<DisputeView>>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    internal static async Task<IResult> GetDispute(string id, ClaimsPrincipal user, IQuerySession session, CancellationToken ct)
    {
        var actor = user.Actor();
        if (!Ids.LooksLike(Ids.DisputePrefix, id))
        {
            return Problems.NotFound("No such dispute.");
        }

        var dispute = await session.LoadAsync<DisputeRecord>(id, ct);
        return dispute is null || !(actor.ReadsEverything || dispute.PayerOwner == actor.Subject || dispute.PayeeOwner == actor.Subject)
            ? Problems.NotFound("No such dispute.")
            : TypedResults.Ok(DisputeViews.Render(dispute));
    }

    internal static async Task<IResult> ListDisputes(string id, ClaimsPrincipal user, IQuerySession session, CancellationToken ct)
    {
        if (await MoneyQueryEndpoints.VisibleAccountAsync(session, user.Actor(), id, ct) is not null)
        {
            return Problems.NotFound("No such account.");
        }

        var disputes = await session.Query<DisputeRecord>()
            .Where(d => d.PayerAccountId == id || d.PayeeAccountId == id)
            .OrderByDescending(d => d.CreatedAt)
            .Take(MoneyQueryEndpoints.MaxLimit)
            .ToListAsync(ct);
        return TypedResults.Ok(disputes.Select(DisputeViews.Render).ToList());
    }
}
