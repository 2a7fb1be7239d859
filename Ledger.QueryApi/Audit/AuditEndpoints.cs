using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Ledger.Domain.Common;
using Ledger.Domain.Money;
using Ledger.Projections.Audit;
using Ledger.Projections.Store;
using Ledger.ServiceDefaults;
using Marten;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Ledger.QueryApi.Audit;

/// <summary>One raw event with its place in the hash chain (hashes hex; null until sealed).</summary>
public sealed record AuditEventView(long Sequence, Guid Id, string StreamId, long Version, string Type, DateTimeOffset Timestamp, JsonElement Data, string? Hash, string? PrevHash);

public sealed record AuditEventPage(IReadOnlyList<AuditEventView> Events, long? NextFromSequence);

/// <summary><c>POST /v1/audit/replay</c> body: replay up to an instant (absent: everything).</summary>
public sealed record ReplayRequest(string? AsOf);

/// <summary>A replay difference on the wire: money as decimal strings in its currency, counts as integer strings.</summary>
public sealed record DifferenceView(string AccountId, string? Currency, string Field, string Replayed, string Stored, string Source);

public sealed record ReplayView(long Events, int Accounts, IReadOnlyList<DifferenceView> Differences, bool Matches, DateTimeOffset? AsOf);

/// <summary>SPEC "History, statements, audit": the raw log with its hashes, the chain's verification, and replay.</summary>
public static class AuditEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1_000;

    public static IEndpointRouteBuilder MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/audit/events", ListEvents)
            .WithTags("Audit")
            .WithSummary("Raw events in global sequence order with their chain hashes (auditor, regulator).")
            .WithDescription("stream: one stream's events; fromSequence (inclusive, default 0); limit 1–1000 (default 100). Page on with nextFromSequence.")
            .Produces<AuditEventPage>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        app.MapGet("/v1/audit/verify", Verify)
            .WithTags("Audit")
            .WithSummary("Recomputes the hash chain from the events and names the first edited, deleted, inserted or reordered one (auditor, regulator).")
            .Produces<VerifyReport>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        app.MapPost("/v1/audit/replay", Replay)
            .WithTags("Audit")
            .WithSummary("Rebuilds every account's balances from the raw events and lists any difference from the projections (auditor).")
            .Accepts<ReplayRequest>("application/json")
            .Produces<ReplayView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }

    private static bool ReadsTheLog(Actor actor) => actor.Has(Role.Auditor) || actor.Has(Role.Regulator);

    private static IResult Forbidden(string what) =>
        Problems.Create(StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "Not allowed for your role.", what);

    internal static async Task<IResult> ListEvents(string? stream, string? fromSequence, string? limit, ClaimsPrincipal user, IDocumentStore store, CancellationToken ct)
    {
        if (!ReadsTheLog(user.Actor()))
        {
            return Forbidden("The event log is for auditors and regulators.");
        }

        var errors = new Dictionary<string, string[]>();
        long from = 0;
        if (fromSequence is not null && (!long.TryParse(fromSequence, NumberStyles.None, CultureInfo.InvariantCulture, out from)))
        {
            errors["fromSequence"] = ["must be a non-negative integer (a sequence number)"];
        }

        var take = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out take) || take is < 1 or > MaxLimit))
        {
            errors["limit"] = [$"must be between 1 and {MaxLimit}"];
        }

        if (stream is { Length: 0 or > 200 })
        {
            errors["stream"] = ["must be a stream id (1–200 characters)"];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"""
            select e.seq_id, e.id, e.stream_id, e.version, e.type, e.timestamp, e.data::text, h.hash, h.prev_hash
            from {LedgerStore.Schema}.mt_events e left join {LedgerStore.Schema}.event_hashes h on h.seq_id = e.seq_id
            where e.seq_id >= @from and (@stream::text is null or e.stream_id = @stream)
            order by e.seq_id limit @take
            """, connection);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.Add(new NpgsqlParameter("stream", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)stream ?? DBNull.Value });
        command.Parameters.AddWithValue("take", take + 1);
        var events = new List<AuditEventView>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var e = AuditReader.Event(reader, 0);
            using var data = JsonDocument.Parse(e.Data);
            events.Add(new AuditEventView(e.Sequence, e.Id, e.StreamId, e.Version, e.Type, new DateTimeOffset(DateTime.SpecifyKind(e.Timestamp, DateTimeKind.Utc)),
                data.RootElement.Clone(),
                reader.IsDBNull(7) ? null : Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(7)),
                reader.IsDBNull(8) ? null : Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(8))));
        }

        var next = events.Count > take ? events[take].Sequence : (long?)null;
        return TypedResults.Ok(new AuditEventPage(events.Take(take).ToList(), next));
    }

    internal static async Task<IResult> Verify(ClaimsPrincipal user, IDocumentStore store, AuditSettings settings, CancellationToken ct)
    {
        if (!ReadsTheLog(user.Actor()))
        {
            return Forbidden("Verifying the log is for auditors and regulators.");
        }

        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync(ct);
        return TypedResults.Ok(await ChainVerifier.VerifyAsync(connection, settings.SigningKey, ct));
    }

    internal static async Task<IResult> Replay(
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] ReplayRequest? request,
        ClaimsPrincipal user, BalanceReplay replay, CancellationToken ct)
    {
        if (!user.Actor().Has(Role.Auditor))
        {
            return Forbidden("Replay is for auditors.");
        }

        DateTimeOffset? asOf = null;
        if (request?.AsOf is { } text)
        {
            if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
            {
                return Problems.Validation("asOf", "must be an ISO 8601 instant, e.g. 2026-11-24T09:00:00Z");
            }

            asOf = parsed;
        }

        var report = await replay.RunAsync(asOf, ct);
        return TypedResults.Ok(new ReplayView(report.Events, report.Accounts, report.Differences.Select(Render).ToList(), report.Matches, report.AsOf));
    }

    private static DifferenceView Render(BalanceDifference d)
    {
        var isMoney = d.Currency is not null && Currencies.TryGet(d.Currency, out _);
        string Show(long value) => isMoney ? Amounts.Format(value, d.Currency!) : value.ToString(CultureInfo.InvariantCulture);
        return new DifferenceView(d.AccountId, d.Currency, d.Field, Show(d.Replayed), Show(d.Stored), d.Source);
    }
}
