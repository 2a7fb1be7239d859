using System.Security.Claims;
using Ledger.CommandApi.Engine;
using Ledger.CommandApi.Payments;
using Ledger.Domain.Common;
using Ledger.Domain.Payments;
using Ledger.Projections.Money;
using Ledger.Projections.Store;
using Ledger.ServiceDefaults;
using Marten;

namespace Ledger.CommandApi.Fraud;

/// <summary>One verdict from the fraud pipeline (decision approve | review | reject, score 0–1).</summary>
public sealed record VerdictRequest(string? PaymentId, string? PayerAccountId, string? Decision, double? RiskScore, List<string>? Reasons, string? Model, string? ModelVersion);

public sealed record VerdictsRequest(List<VerdictRequest>? Verdicts);

/// <summary>What became of a verdict: applied (it decided the payment) or not (already decided: a redelivery, or
/// the deadline's rules came first), and the payment's status now.</summary>
public sealed record VerdictResult(string PaymentId, bool Applied, string? Status, string? Error);

public sealed record VerdictsResponse(List<VerdictResult> Results);

public sealed record ReviewRequest(string? Decision, string? Note);

/// <summary>
/// SPEC "Fraud" and DESIGN step 5: the pipeline's verdict returns to the ledger as a command, and support decides
/// payments in review. Both are decided by the payer's shard writer, where the reserve is.
/// </summary>
public static class FraudEndpoints
{
    /// <summary>The role the fraud pipeline's service token carries (production: a client-credentials token from the
    /// identity provider; the embedded default signs one with Auth:SigningKey). No person holds it.</summary>
    public const string ServiceRole = ServiceRoles.FraudService;

    public static IEndpointRouteBuilder MapFraud(this IEndpointRouteBuilder app)
    {
        // No Idempotency-Key here, by design: a verdict is keyed by its payment and applies only to a payment still
        // waiting for one, so a repeat (redelivered event, retried call) changes nothing and says so (applied=false).
        app.MapPost("/v1/fraud/verdicts", async (VerdictsRequest body, LedgerEngine engine, TimeProvider clock) =>
            {
                var verdicts = body.Verdicts ?? [];
                var errors = new Dictionary<string, string[]>();
                if (verdicts.Count is 0 or > RequestLimits.MaxVerdictsPerCall)
                {
                    errors["verdicts"] = [$"give 1 to {RequestLimits.MaxVerdictsPerCall} verdicts"];
                }

                for (var i = 0; i < verdicts.Count && errors.Count < 10; i++)
                {
                    var v = verdicts[i];
                    if (!Ids.LooksLike(Ids.PaymentPrefix, v.PaymentId ?? string.Empty) || !Ids.LooksLike(Ids.AccountPrefix, v.PayerAccountId ?? string.Empty))
                    {
                        errors[$"verdicts[{i}]"] = ["paymentId (pay_…) and payerAccountId (acc_…) are required"];
                    }
                    else if (Outcome(v.Decision) is null)
                    {
                        errors[$"verdicts[{i}].decision"] = ["must be approve, review or reject"];
                    }
                    else if (v.RiskScore is not (>= 0 and <= 1) || double.IsNaN(v.RiskScore.Value))
                    {
                        errors[$"verdicts[{i}].riskScore"] = ["must be between 0 and 1"];
                    }
                    else if (v.Reasons is { Count: > 20 } || v.Reasons?.Any(r => r is not { Length: > 0 and <= 300 }) == true)
                    {
                        errors[$"verdicts[{i}].reasons"] = ["at most 20 reasons of 1 to 300 characters"];
                    }
                }

                if (errors.Count > 0)
                {
                    return Problems.Validation(errors);
                }

                var commands = verdicts.Select(v => new VerdictCommand(v.PaymentId!, v.PayerAccountId!, new RiskDecision(
                    Outcome(v.Decision)!.Value,
                    (int)Math.Round(v.RiskScore!.Value * 10_000),
                    v.Reasons ?? [],
                    $"{v.Model ?? "model"}:{v.ModelVersion ?? "unknown"}"))).ToList();
                foreach (var command in commands)
                {
                    engine.Enqueue(command);
                }

                var results = new List<VerdictResult>(commands.Count);
                foreach (var command in commands)
                {
                    try
                    {
                        var outcome = await command.Done.Task;
                        results.Add(outcome.Error is { } error
                            ? new VerdictResult(command.PaymentId, false, null, error.Code)
                            : new VerdictResult(command.PaymentId, outcome.Payment is not null, outcome.Payment?.Status, null));
                    }
                    catch (Exception ex) when (ex is ShardMovedException or Npgsql.NpgsqlException or InvalidOperationException)
                    {
                        results.Add(new VerdictResult(command.PaymentId, false, null, "try_again"));
                    }
                }

                return Results.Ok(new VerdictsResponse(results));
            })
            .RequireAuthorization(policy => policy.RequireClaim(Actors.RoleClaim, ServiceRole))
            .WithTags("Fraud")
            .WithSummary("The fraud pipeline's verdicts (service role fraud_service). Each applies to a payment still waiting for its risk decision; a repeat changes nothing.")
            .Produces<VerdictsResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        app.MapPost("/v1/fraud/reviews/{paymentId}", (string paymentId, HttpContext http, ClaimsPrincipal user, IdempotencyGate gate, LedgerEngine engine, IDocumentStore store, TimeProvider clock, CancellationToken ct) =>
                MoneyEndpoints.RunAsync<ReviewRequest>(http, user, gate, engine, ct, (body, actor) => ReviewAsync(paymentId, body, actor, store, clock, ct)))
            .WithTags("Fraud")
            .WithSummary("Support decides a payment in review: approve (it completes) or reject (the reserve returns to the payer). Needs an Idempotency-Key like every money POST.")
            .Accepts<ReviewRequest>("application/json")
            .Produces<PaymentView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return app;
    }

    private static RiskOutcome? Outcome(string? decision) => decision switch
    {
        "approve" => RiskOutcome.Approve,
        "review" => RiskOutcome.Review,
        "reject" => RiskOutcome.Reject,
        _ => null,
    };

    private static async ValueTask<(EngineCommand?, IResult?)> ReviewAsync(string id, ReviewRequest body, Actor actor, IDocumentStore store, TimeProvider clock, CancellationToken ct)
    {
        PaymentRecord? payment = null;
        if (actor.IsSupport && Ids.LooksLike(Ids.PaymentPrefix, id))
        {
            await using var session = store.QuerySession();
            payment = await session.LoadAsync<PaymentRecord>(id, ct);
        }

        if (payment is null)
        {
            return (null, Problems.NotFound("No such payment."));
        }

        var errors = new Dictionary<string, string[]>();
        if (body.Decision is not ("approve" or "reject"))
        {
            errors["decision"] = ["must be approve or reject"];
        }

        if (body.Note is { Length: > 2000 })
        {
            errors["note"] = ["must be at most 2000 characters"];
        }

        return errors.Count > 0
            ? (null, Problems.Validation(errors))
            : (new ReviewCommand(payment.PayerAccountId, new ReviewPayment(payment.Id, body.Decision == "approve", body.Note, actor, clock.GetUtcNow())), null);
    }
}
