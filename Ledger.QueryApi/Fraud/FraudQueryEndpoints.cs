using Ledger.Projections.Fraud;
using Ledger.Projections.Store;
using Ledger.QueryApi.Money;
using Ledger.ServiceDefaults;
using Marten;

namespace Ledger.QueryApi.Fraud;

/// <summary>SPEC "Fraud" ANALYSIS_DATA as the API shows it.</summary>
public sealed record FraudAnalysisView(string Id, string PaymentId, string PayerAccountId, string PayeeAccountId, double RiskScore, string Decision,
    IReadOnlyList<string> Reasons, string Model, string ModelVersion, IReadOnlyDictionary<string, double> Features, DateTimeOffset AnalyzedAt);

/// <summary>SPEC "Fraud" ALERT_LOG as the API shows it.</summary>
public sealed record FraudAlertView(string Id, string AccountId, string PaymentId, string Type, string Severity, double RiskScore,
    IReadOnlyList<string> Reasons, DateTimeOffset CreatedAt);

/// <summary>
/// Fraud analyses and alerts, for the people who act on them: support (reviews), auditors and regulators. Customers,
/// partners and analysts get 403: these documents name accounts and explain why they look suspicious.
/// </summary>
public static class FraudQueryEndpoints
{
    public static readonly string[] Readers = ["support", "auditor", "regulator"];

    public static IEndpointRouteBuilder MapFraudQueries(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/fraud/analyses", async Task<IResult> (string? paymentId, string? accountId, int? limit, IQuerySession session, CancellationToken ct) =>
            {
                var errors = new Dictionary<string, string[]>();
                if ((paymentId is null) == (accountId is null))
                {
                    errors["paymentId"] = ["give exactly one of paymentId and accountId"];
                }

                var take = MoneyQueryEndpoints.ParseLimit(limit, errors);
                if (errors.Count > 0)
                {
                    return Problems.Validation(errors);
                }

                var query = paymentId is not null
                    ? session.Query<FraudAnalysis>().Where(a => a.PaymentId == paymentId)
                    : session.Query<FraudAnalysis>().Where(a => a.PayerAccountId == accountId || a.PayeeAccountId == accountId);
                var analyses = await query.OrderByDescending(a => a.AnalyzedAt).Take(take).ToListAsync(ct);
                return TypedResults.Ok(analyses.Select(a => new FraudAnalysisView(a.Id, a.PaymentId, a.PayerAccountId, a.PayeeAccountId, a.RiskScore,
                    a.Decision, a.Reasons, a.Model, a.ModelVersion, a.Features, a.AnalyzedAt)).ToList());
            })
            .RequireAuthorization(p => p.RequireClaim(Actors.RoleClaim, Readers))
            .WithTags("Fraud")
            .WithSummary("Fraud analyses (risk score 0–1, decision, reasons, model, the features it saw) of one payment or of an account's payments, newest first.")
            .Produces<List<FraudAnalysisView>>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        app.MapGet("/v1/alerts", async Task<IResult> (string? from, string? to, string? accountId, string? type, int? limit, IQuerySession session, CancellationToken ct) =>
            {
                var errors = new Dictionary<string, string[]>();
                var (fromAt, toAt) = (MoneyQueryEndpoints.ParseInstant(from, "from", errors), MoneyQueryEndpoints.ParseInstant(to, "to", errors));
                if (fromAt > toAt)
                {
                    errors["from"] = ["must not be after to"];
                }

                if (type is not (null or "high_risk" or "rule_hit"))
                {
                    errors["type"] = ["must be high_risk or rule_hit"];
                }

                if (accountId is not null && !Ids.LooksLike(Ids.AccountPrefix, accountId))
                {
                    errors["accountId"] = ["must be an account id (acc_…)"];
                }

                var take = MoneyQueryEndpoints.ParseLimit(limit, errors);
                if (errors.Count > 0)
                {
                    return Problems.Validation(errors);
                }

                var query = session.Query<FraudAlert>().AsQueryable();
                if (fromAt is { } f)
                {
                    query = query.Where(a => a.CreatedAt >= f);
                }

                if (toAt is { } t)
                {
                    query = query.Where(a => a.CreatedAt < t);
                }

                if (accountId is not null)
                {
                    query = query.Where(a => a.AccountId == accountId);
                }

                if (type is not null)
                {
                    query = query.Where(a => a.Type == type);
                }

                var alerts = await query.OrderByDescending(a => a.CreatedAt).Take(take).ToListAsync(ct);
                return TypedResults.Ok(alerts.Select(a => new FraudAlertView(a.Id, a.AccountId, a.PaymentId, a.Type, a.Severity, a.RiskScore, a.Reasons, a.CreatedAt)).ToList());
            })
            .RequireAuthorization(p => p.RequireClaim(Actors.RoleClaim, Readers))
            .WithTags("Fraud")
            .WithSummary("Fraud alerts (high_risk, rule_hit) in [from, to), optionally for one account or type, newest first.")
            .Produces<List<FraudAlertView>>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }
}
