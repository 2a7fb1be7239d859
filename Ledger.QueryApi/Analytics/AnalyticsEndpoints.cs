using System.Globalization;
using System.Security.Claims;
using Ledger.Domain.Common;
using Ledger.Domain.Money;
using Ledger.Projections.Audit;
using Ledger.ServiceDefaults;
using Marten;

namespace Ledger.QueryApi.Analytics;

public sealed record VolumeBucket(DateTimeOffset Start, string Currency, string Kind, long Count, string Amount);

public sealed record VolumeView(DateTimeOffset From, DateTimeOffset To, string Interval, string? Currency, IReadOnlyList<VolumeBucket> Buckets);

/// <summary>SPEC "analyst": aggregates only — no account ids, no names, nothing per person.</summary>
public static class AnalyticsEndpoints
{
    public static readonly TimeSpan MaxHourlySpan = TimeSpan.FromDays(31);
    public static readonly TimeSpan MaxDailySpan = TimeSpan.FromDays(366);

    public static IEndpointRouteBuilder MapAnalyticsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/analytics/volume", Volume)
            .WithTags("Analytics")
            .WithSummary("Counts and sums of money movements per interval, currency and kind (analyst, auditor, support).")
            .WithDescription("from/to: ISO 8601 instants, rounded out to whole intervals (default: the last 24 hours); interval: hour | day (default day; " +
                "at most 31 days of hours or 366 days); currency: one ISO 4217 code. Kinds: deposit, withdrawal, payment (initiated), refund, " +
                "conversion (in the currency sold), dispute, chargeback (in the currency returned). Counts lag commits by the audit sealer's delay (well under a second).")
            .Produces<VolumeView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }

    internal static async Task<IResult> Volume(string? from, string? to, string? interval, string? currency, ClaimsPrincipal user, IDocumentStore store, TimeProvider clock, CancellationToken ct)
    {
        var actor = user.Actor();
        if (!(actor.Has(Role.Analyst) || actor.Has(Role.Auditor) || actor.Has(Role.Support)))
        {
            return Problems.Create(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "Not allowed for your role.", "Analytics are for analysts, auditors and support.");
        }

        var errors = new Dictionary<string, string[]>();
        var daily = interval is null or "day";
        if (interval is not (null or "day" or "hour"))
        {
            errors["interval"] = ["must be hour or day"];
        }

        if (currency is not null && !Currencies.IsWellFormed(currency))
        {
            errors["currency"] = ["must be an ISO 4217 code, e.g. USD"];
        }

        var toAt = Money.MoneyQueryEndpoints.ParseInstant(to, "to", errors) ?? clock.GetUtcNow();
        var fromAt = Money.MoneyQueryEndpoints.ParseInstant(from, "from", errors) ?? toAt - TimeSpan.FromDays(1);
        if (errors.Count == 0)
        {
            fromAt = Floor(fromAt, daily);
            toAt = Ceiling(toAt, daily);
            if (toAt <= fromAt)
            {
                errors["to"] = ["must be after from"];
            }
            else if (toAt - fromAt > (daily ? MaxDailySpan : MaxHourlySpan))
            {
                errors["from"] = [daily ? "at most 366 days of daily volume per request" : "at most 31 days of hourly volume per request"];
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        var rows = await VolumeProjection.QueryAsync(connection, fromAt, toAt, daily, currency, ct);
        var buckets = rows.Select(r => new VolumeBucket(r.Start, r.Currency, r.Kind, r.Count,
            Currencies.TryGet(r.Currency, out var c) ? Amounts.Format(r.Amount, c.MinorUnits) : r.Amount.ToString(CultureInfo.InvariantCulture))).ToList();
        return TypedResults.Ok(new VolumeView(fromAt, toAt, daily ? "day" : "hour", currency, buckets));
    }

    private static DateTimeOffset Floor(DateTimeOffset at, bool daily)
    {
        var utc = at.ToUniversalTime();
        return daily ? new DateTimeOffset(utc.Date, TimeSpan.Zero) : new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }

    private static DateTimeOffset Ceiling(DateTimeOffset at, bool daily)
    {
        var floor = Floor(at, daily);
        return floor == at ? floor : floor + (daily ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1));
    }
}
