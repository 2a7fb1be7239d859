using System.Security.Claims;
using Ledger.CommandApi.Engine;
using Ledger.CommandApi.Payments;
using Ledger.Domain.Common;
using Ledger.Domain.Protection;
using Ledger.Projections.Money;
using Ledger.Projections.Store;
using Ledger.ServiceDefaults;
using Marten;

namespace Ledger.CommandApi.Protection;

public sealed record RefundRequest(AmountRequest? Amount, string? Reason);

public sealed record DisputeRequest(string? Reason, string? Details);

public sealed record ResolveRequest(string? Outcome, string? Note);

/// <summary>The body of a release: nothing is needed (send <c>{}</c>); a note is kept for support.</summary>
public sealed record ReleaseRequest(string? Note);

/// <summary>
/// SPEC "Buyer and seller protection": refunds, disputes and their resolution. Each moves money, so each needs an
/// Idempotency-Key, and each is decided by the payee's shard writer (ownership and role checked there, 404 before
/// 403 before anything else).
/// </summary>
public static class ProtectionEndpoints
{
    public static IEndpointRouteBuilder MapProtection(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/payments/{id}/refunds", (string id, HttpContext http, ClaimsPrincipal user, IdempotencyGate gate, LedgerEngine engine, IDocumentStore store, TimeProvider clock, CancellationToken ct) =>
                MoneyEndpoints.RunAsync<RefundRequest>(http, user, gate, engine, ct, (body, actor) => RefundAsync(id, body, actor, store, clock, ct)))
            .WithTags("Buyer and seller protection")
            .WithSummary("Refund a completed payment, fully (no amount) or partly, by its payee or support; never more than is left. The amount is in the currency the payee received.")
            .Accepts<RefundRequest>("application/json")
            .Produces<RefundView>(StatusCodes.Status201Created)
            .WithProtectionProblems();

        app.MapPost("/v1/payments/{id}/disputes", (string id, HttpContext http, ClaimsPrincipal user, IdempotencyGate gate, LedgerEngine engine, IDocumentStore store, TimeProvider clock, CancellationToken ct) =>
                MoneyEndpoints.RunAsync<DisputeRequest>(http, user, gate, engine, ct, (body, actor) => DisputeAsync(id, body, actor, store, clock, ct)))
            .WithTags("Buyer and seller protection")
            .WithSummary("The payer disputes a purchase within the protection window: what is left of it is held in the payee's balance (any shortfall covered by the protection reserve).")
            .Accepts<DisputeRequest>("application/json")
            .Produces<DisputeView>(StatusCodes.Status201Created)
            .WithProtectionProblems();

        app.MapPost("/v1/payments/{id}/release", (string id, HttpContext http, ClaimsPrincipal user, IdempotencyGate gate, LedgerEngine engine, IDocumentStore store, TimeProvider clock, CancellationToken ct) =>
                MoneyEndpoints.RunAsync<ReleaseRequest>(http, user, gate, engine, ct, (_, actor) => ReleaseAsync(id, actor, store, clock, ct)))
            .WithTags("Buyer and seller protection")
            .WithSummary("The payer confirms a purchase under a risk hold: the payee's held money becomes available. Holds also end by themselves after Protection:HoldDays.")
            .Accepts<ReleaseRequest>("application/json")
            .Produces<PaymentView>()
            .WithProtectionProblems();

        app.MapPost("/v1/disputes/{id}/resolve", (string id, HttpContext http, ClaimsPrincipal user, IdempotencyGate gate, LedgerEngine engine, IDocumentStore store, TimeProvider clock, CancellationToken ct) =>
                MoneyEndpoints.RunAsync<ResolveRequest>(http, user, gate, engine, ct, (body, actor) => ResolveAsync(id, body, actor, store, clock, ct)))
            .WithTags("Buyer and seller protection")
            .WithSummary("Support decides a dispute: buyer (the held money returns to the payer; an eligible unauthorized claim is paid by the protection reserve instead) or seller (the hold is released).")
            .Accepts<ResolveRequest>("application/json")
            .Produces<DisputeView>()
            .WithProtectionProblems();
        return app;
    }

    private static RouteHandlerBuilder WithProtectionProblems(this RouteHandlerBuilder builder) => builder
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static async Task<PaymentRecord?> PaymentAsync(string id, IDocumentStore store, CancellationToken ct)
    {
        if (!Ids.LooksLike(Ids.PaymentPrefix, id))
        {
            return null;
        }

        await using var session = store.QuerySession();
        return await session.LoadAsync<PaymentRecord>(id, ct);
    }

    private static async ValueTask<(EngineCommand?, IResult?)> RefundAsync(string id, RefundRequest body, Actor actor, IDocumentStore store, TimeProvider clock, CancellationToken ct)
    {
        if (await PaymentAsync(id, store, ct) is not { } payment)
        {
            return (null, Problems.NotFound("No such payment."));
        }

        var errors = new Dictionary<string, string[]>();
        long? amount = null;
        if (body.Amount is not null)
        {
            var money = MoneyEndpoints.ParseAmount(body.Amount, "amount", errors);
            if (errors.Count == 0 && money.Currency != payment.SettledCurrency)
            {
                errors["amount.currency"] = [$"must be {payment.SettledCurrency}, the currency the payee received"];
            }

            amount = money.Minor;
        }

        if (body.Reason?.Trim() is not { Length: > 0 and <= 500 })
        {
            errors["reason"] = ["must be 1 to 500 characters"];
        }

        return errors.Count > 0
            ? (null, Problems.Validation(errors))
            : (new RefundCommand(payment.Id, payment.PayerAccountId, payment.PayeeAccountId,
                new RefundPayment(Ids.New(Ids.RefundPrefix), amount, body.Reason!.Trim(), actor, clock.GetUtcNow())), null);
    }

    private static async ValueTask<(EngineCommand?, IResult?)> DisputeAsync(string id, DisputeRequest body, Actor actor, IDocumentStore store, TimeProvider clock, CancellationToken ct)
    {
        if (await PaymentAsync(id, store, ct) is not { } payment)
        {
            return (null, Problems.NotFound("No such payment."));
        }

        var errors = new Dictionary<string, string[]>();
        if (!DisputeReasons.IsKnown(body.Reason))
        {
            errors["reason"] = ["must be not_received, not_as_described or unauthorized"];
        }

        if (body.Details is { Length: > 2000 })
        {
            errors["details"] = ["must be at most 2000 characters"];
        }

        return errors.Count > 0
            ? (null, Problems.Validation(errors))
            : (new OpenDisputeCommand(payment.Id, payment.PayerAccountId, payment.PayeeAccountId,
                new OpenDispute(Ids.New(Ids.DisputePrefix), body.Reason!, body.Details, actor, clock.GetUtcNow())), null);
    }

    private static async ValueTask<(EngineCommand?, IResult?)> ReleaseAsync(string id, Actor actor, IDocumentStore store, TimeProvider clock, CancellationToken ct) =>
        await PaymentAsync(id, store, ct) is { } payment
            ? (new ReleaseHoldCommand(payment.Id, payment.PayerAccountId, payment.PayeeAccountId, new ReleaseHold(actor.IsSupport ? "support" : "payer", actor, clock.GetUtcNow())), null)
            : (null, Problems.NotFound("No such payment."));

    private static async ValueTask<(EngineCommand?, IResult?)> ResolveAsync(string id, ResolveRequest body, Actor actor, IDocumentStore store, TimeProvider clock, CancellationToken ct)
    {
        DisputeRecord? dispute = null;
        if (Ids.LooksLike(Ids.DisputePrefix, id))
        {
            await using var session = store.QuerySession();
            dispute = await session.LoadAsync<DisputeRecord>(id, ct);
        }

        if (dispute is null || !(actor.IsSupport || dispute.PayerOwner == actor.Subject || dispute.PayeeOwner == actor.Subject))
        {
            return (null, Problems.NotFound("No such dispute."));
        }

        if (body.Outcome is not ("buyer" or "seller"))
        {
            return (null, Problems.Validation("outcome", "must be buyer or seller"));
        }

        if (body.Note is { Length: > 2000 })
        {
            return (null, Problems.Validation("note", "must be at most 2000 characters"));
        }

        return (new ResolveDisputeCommand(dispute.Id, dispute.PaymentId, dispute.PayerAccountId, dispute.PayeeAccountId,
            new ResolveDispute(body.Outcome, body.Note, actor, clock.GetUtcNow())), null);
    }
}
