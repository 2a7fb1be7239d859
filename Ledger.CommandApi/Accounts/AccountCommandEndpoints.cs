using System.Security.Claims;
using System.Text.Json;
using JasperFx;
using Ledger.CommandApi.Engine;
using Ledger.Domain.Accounts;
using Ledger.Domain.Common;
using Ledger.Projections.Accounts;
using Ledger.Projections.Privacy;
using Ledger.Projections.Store;
using Ledger.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.CommandApi.Accounts;

/// <summary>SPEC "Accounts": create, edit and delete. Reads are served by QueryApi.</summary>
public static class AccountCommandEndpoints
{
    /// <summary>Optimistic retries for a PATCH without If-Match that loses a race (last writer wins, never lost).</summary>
    private const int MaxAttempts = 3;

    public static IEndpointRouteBuilder MapAccountCommands(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/accounts").WithTags("Accounts");

        group.MapPost("/", Create)
            .WithSummary("Open an account owned by the caller.")
            .WithDescription("Username is unique (case-insensitive); name and email are encrypted under a key of the account's own.")
            .Accepts<CreateAccountRequest>("application/json")
            .Produces<AccountView>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        group.MapPatch("/{id}", Update)
            .WithSummary("Change any of username, name, email, status; each changed field is its own event.")
            .WithDescription("Send If-Match with the ETag from GET to refuse the edit (412) if the account changed meanwhile. Status: active, suspended (support only), closed.")
            .Accepts<CreateAccountRequest>("application/json", "application/merge-patch+json")
            .Produces<AccountView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        group.MapDelete("/{id}", Delete)
            .WithSummary("Close the account and erase its personal data (crypto-shredding).")
            .WithDescription("Refused with 422 while any balance is non-zero or anything is held or disputed. Afterwards the account answers 404 to its owner and shows [redacted] personal data to auditors.")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    internal static async Task<IResult> Create(
        CreateAccountRequest body, ClaimsPrincipal user, IndexPlannedSessions sessions, PiiProtector pii, TimeProvider clock, CancellationToken ct)
    {
        var actor = user.Actor();
        var errors = AccountRequestValidation.Validate(body, out var username, out var name, out var email, out var status);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        var id = Ids.NewAccountId();
        var dataKey = PiiProtector.NewDataKey();
        var command = new OpenAccount(
            id,
            username,
            PiiProtector.Seal(dataKey, id, PiiField.Name, name),
            PiiProtector.Seal(dataKey, id, PiiField.Email, email),
            status,
            actor,
            clock.GetUtcNow());
        var decision = AccountDecider.Decide(null, command);
        if (decision.Error is { } error)
        {
            return Problems.From(error);
        }

        await using var planned = await sessions.OpenAsync(ct);
        var session = planned.Session;
        session.Events.StartStream<AccountState>(id, decision.Events.Cast<object>().ToArray());
        session.Insert(new UsernameClaim { Id = username, AccountId = id });
        session.Insert(pii.Wrap(id, dataKey));
        try
        {
            await session.SaveChangesAsync(ct);
        }
        catch (DocumentAlreadyExistsException)
        {
            return UsernameTaken();
        }

        var state = AccountDecider.Fold(decision.Events)!;
        return WithETag(TypedResults.Created($"/v1/accounts/{id}", AccountViews.Render(state, dataKey, [])), state.Version);
    }

    internal static async Task<IResult> Update(
        string id, HttpRequest request, ClaimsPrincipal user, IndexPlannedSessions sessions, PiiProtector pii, TimeProvider clock, LedgerEngine engine, CancellationToken ct)
    {
        var actor = user.Actor();
        if (!Ids.LooksLike(Ids.AccountPrefix, id))
        {
            return Problems.NotFound("No such account.");
        }

        if (!AccountViews.TryParseIfMatch(request.Headers.IfMatch, out var expected))
        {
            return Problems.Validation("If-Match", "must be an ETag from GET, e.g. \"3\"");
        }

        if (!IsJson(request))
        {
            return Problems.Create(StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Send application/json.", "PATCH takes a JSON object.");
        }

        AccountPatch patch;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
            var errors = AccountRequestValidation.ParsePatch(document.RootElement, out patch);
            if (errors.Count > 0)
            {
                return Problems.Validation(errors);
            }
        }
        catch (JsonException)
        {
            return Problems.Validation("$", "the body is not valid JSON");
        }

        // A status change (suspend, reactivate, close) must not interleave with money moving on the account: it runs in
        // the account's shard writer, which supplies the closure blockers from the balances it holds.
        return patch.Status is null
            ? await ApplyUpdateAsync(id, patch, expected, actor, sessions, pii, clock, [], null, ct)
            : await engine.RunExclusiveAsync(id, (blockers, fence) => ApplyUpdateAsync(id, patch, expected, actor, sessions, pii, clock, blockers, fence, ct));
    }

    private static async Task<IResult> ApplyUpdateAsync(
        string id, AccountPatch patch, long? expected, Actor actor, IndexPlannedSessions sessions, PiiProtector pii, TimeProvider clock,
        IReadOnlyList<string> blockers, ShardFence? fence, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var planned = await sessions.OpenAsync(ct);
            var session = planned.Session;
            // One round trip for the stream (with its version, for the optimistic check at commit) and the key.
            var batch = session.CreateBatchQuery();
            var streamTask = batch.Events.FetchForWriting<AccountState>(id);
            var keyTask = batch.Load<PersonKey>(id);
            await batch.Execute(ct);
            var stream = await streamTask;
            var state = stream.Aggregate;
            if (!CanSee(state, actor))
            {
                return Problems.NotFound("No such account.");
            }

            if (expected is { } version && version != state!.Version)
            {
                return Problems.VersionMismatch(state.Version);
            }

            var key = await keyTask;
            var dataKey = key is null ? null : pii.Unwrap(key);
            var command = new UpdateAccount(
                patch.Username,
                patch.Name is null || dataKey is null ? null : PiiProtector.Seal(dataKey, id, PiiField.Name, patch.Name),
                patch.Email is null || dataKey is null ? null : PiiProtector.Seal(dataKey, id, PiiField.Email, patch.Email),
                patch.Status,
                blockers,
                actor,
                clock.GetUtcNow());
            var decision = AccountDecider.Decide(state, command);
            if (decision.Error is { } error)
            {
                return Problems.From(error);
            }

            var next = decision.Events.Aggregate(state, AccountDecider.Evolve)!;
            if (decision.Events.Count == 0)
            {
                return WithETag(TypedResults.Ok(AccountViews.Render(next, dataKey, [])), next.Version);
            }

            stream.AppendMany(decision.Events.Cast<object>().ToArray());
            foreach (var renamed in decision.Events.OfType<AccountUsernameChanged>())
            {
                session.Insert(new UsernameClaim { Id = renamed.Username, AccountId = id });
                session.Delete<UsernameClaim>(renamed.PreviousUsername);
            }

            fence?.Apply(session);
            try
            {
                await session.SaveChangesAsync(ct);
                fence?.MarkCommitted();
                return WithETag(TypedResults.Ok(AccountViews.Render(next, dataKey, [])), next.Version);
            }
            catch (DocumentAlreadyExistsException)
            {
                return UsernameTaken();
            }
            catch (ConcurrencyException) when (expected is null && attempt < MaxAttempts)
            {
                // Someone else edited between our read and our commit; decide again on the new state.
            }
            catch (ConcurrencyException)
            {
                return Problems.Create(StatusCodes.Status412PreconditionFailed, ErrorCodes.VersionMismatch,
                    "The resource has changed.", "The account changed while this edit was applied; fetch it again and retry.");
            }
        }
    }

    internal static async Task<IResult> Delete(
        string id, HttpRequest request, ClaimsPrincipal user, IndexPlannedSessions sessions, TimeProvider clock, LedgerEngine engine, CancellationToken ct)
    {
        var actor = user.Actor();
        if (!Ids.LooksLike(Ids.AccountPrefix, id))
        {
            return Problems.NotFound("No such account.");
        }

        if (!AccountViews.TryParseIfMatch(request.Headers.IfMatch, out var expected))
        {
            return Problems.Validation("If-Match", "must be an ETag from GET, e.g. \"3\"");
        }

        return await engine.RunExclusiveAsync(id, (blockers, fence) => ApplyDeleteAsync(id, expected, actor, sessions, clock, blockers, fence, ct));
    }

    private static async Task<IResult> ApplyDeleteAsync(
        string id, long? expected, Actor actor, IndexPlannedSessions sessions, TimeProvider clock, IReadOnlyList<string> blockers, ShardFence fence, CancellationToken ct)
    {
        await using var planned = await sessions.OpenAsync(ct);
        var session = planned.Session;
        var stream = await session.Events.FetchForWriting<AccountState>(id, ct);
        var state = stream.Aggregate;
        if (!CanSee(state, actor))
        {
            return Problems.NotFound("No such account.");
        }

        if (expected is { } version && version != state!.Version)
        {
            return Problems.VersionMismatch(state.Version);
        }

        var decision = AccountDecider.Decide(state, new DeleteAccount(blockers, actor, clock.GetUtcNow()));
        if (decision.Error is { } error)
        {
            return Problems.From(error);
        }

        stream.AppendMany(decision.Events.Cast<object>().ToArray());
        // The crypto-shred: the key goes in the same transaction as the erasure event, so either both happen or neither.
        session.Delete<PersonKey>(id);
        fence.Apply(session);
        try
        {
            await session.SaveChangesAsync(ct);
            fence.MarkCommitted();
        }
        catch (ConcurrencyException)
        {
            return Problems.Create(StatusCodes.Status412PreconditionFailed, ErrorCodes.VersionMismatch,
                "The resource has changed.", "The account changed while it was being deleted; fetch it again and retry.");
        }

        return TypedResults.NoContent();
    }

    /// <summary>Ownership first: not there, erased, or someone else's (unless support) is a 404, before any other check.</summary>
    private static bool CanSee(AccountState? state, Actor actor) =>
        state is not null && !state.PersonalDataErased && (state.IsOwnedBy(actor) || actor.IsSupport);

    private static ProblemHttpResult UsernameTaken() =>
        Problems.Create(StatusCodes.Status409Conflict, ErrorCodes.Conflict, "Username taken.", "That username belongs to another account.");

    private static bool IsJson(HttpRequest request) =>
        request.ContentType is { } type
        && (type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || type.StartsWith("application/merge-patch+json", StringComparison.OrdinalIgnoreCase));

    private static IResult WithETag<T>(T result, long version)
        where T : IResult => new ETagged(result, version);

    private sealed class ETagged(IResult inner, long version) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.ETag = AccountViews.ETag(version);
            return inner.ExecuteAsync(httpContext);
        }
    }
}
