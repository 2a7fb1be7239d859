using System.Security.Claims;
using System.Text.Json;
using Ledger.CommandApi.Engine;
using Ledger.CommandApi.Fx;
using Ledger.Domain.Common;
using Ledger.Domain.Fx;
using Ledger.Domain.Money;
using Ledger.Domain.Payments;
using Ledger.Projections.Accounts;
using Ledger.Projections.Money;
using Ledger.Projections.Store;
using Ledger.ServiceDefaults;
using Marten;

namespace Ledger.CommandApi.Payments;

public sealed record AmountRequest(string? Amount, string? Currency);

public sealed record DepositRequest(string? AccountId, AmountRequest? Amount, string? Reference);

public sealed record PaymentRequest(
    string? PayerAccountId,
    string? PayeeAccountId,
    string? PayeeUsername,
    AmountRequest? Amount,
    string? PayeeCurrency,
    string? QuoteId,
    string? Description,
    string? Purpose,
    Dictionary<string, string>? Metadata);

/// <summary>SPEC "Money movement": deposits, withdrawals, payments. Every one needs an Idempotency-Key.</summary>
public static class MoneyEndpoints
{
    public const int MaxWaitSeconds = 10;

    public static IEndpointRouteBuilder MapMoneyCommands(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/deposits", (HttpContext http, ClaimsPrincipal user, IdempotencyGate gate, LedgerEngine engine, TimeProvider clock, CancellationToken ct) =>
                RunAsync<DepositRequest>(http, user, gate, engine, ct, (body, actor) => Transfer(body, actor, clock, deposit: true)))
            .WithTags("Money movement")
            .WithSummary("Money in from an external rail to one of your accounts (booked against the settlement account).")
            .WithMoneyMetadata<DepositRequest, TransactionView>();

        app.MapPost("/v1/withdrawals", (HttpContext http, ClaimsPrincipal user, IdempotencyGate gate, LedgerEngine engine, TimeProvider clock, CancellationToken ct) =>
                RunAsync<DepositRequest>(http, user, gate, engine, ct, (body, actor) => Transfer(body, actor, clock, deposit: false)))
            .WithTags("Money movement")
            .WithSummary("Money out of one of your accounts to an external rail; 422 insufficient_funds when available is short.")
            .WithMoneyMetadata<DepositRequest, TransactionView>();

        app.MapPost("/v1/payments", (HttpContext http, ClaimsPrincipal user, IdempotencyGate gate, LedgerEngine engine, IDocumentStore store, IRatesProvider rates, FxOptions fx, TimeProvider clock, CancellationToken ct) =>
                RunAsync<PaymentRequest>(http, user, gate, engine, ct, (body, actor) => PaymentAsync(body, actor, store, rates, fx, clock, ct), store))
            .WithTags("Money movement")
            .WithSummary("Pay another account. The payer's funds are reserved, risk decides, and the payment completes, is rejected, or waits in review.")
            .WithDescription("Prefer: wait=N (seconds, at most 10) returns once the payment is final or N seconds pass.")
            .WithMoneyMetadata<PaymentRequest, PaymentView>();
        return app;
    }

    private static RouteHandlerBuilder WithMoneyMetadata<TRequest, TResponse>(this RouteHandlerBuilder builder)
        where TRequest : notnull => builder
        .Accepts<TRequest>("application/json")
        .Produces<TResponse>(StatusCodes.Status201Created)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status429TooManyRequests)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    /// <summary>The pipeline every money POST shares: key, body, idempotency, validation, the engine, the answer.</summary>
    internal static async Task<IResult> RunAsync<TRequest>(
        HttpContext http,
        ClaimsPrincipal user,
        IdempotencyGate gate,
        LedgerEngine engine,
        CancellationToken ct,
        Func<TRequest, Actor, ValueTask<(EngineCommand? Command, IResult? Problem)>> build,
        IDocumentStore? store = null)
    {
        var actor = user.Actor();
        var request = http.Request;
        if (request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.Create(StatusCodes.Status415UnsupportedMediaType, ErrorCodes.UnsupportedMediaType, "Send application/json.", "The request body must be application/json.");
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        var bytes = buffer.ToArray();
        var (ticket, answer) = gate.Enter(request, actor.Subject, bytes);
        if (answer is not null)
        {
            return answer;
        }

        using var release = ticket!.Release;
        TRequest? body;
        try
        {
            body = JsonSerializer.Deserialize<TRequest>(bytes, HostingDefaults.ResponseJson);
        }
        catch (JsonException ex)
        {
            return Problems.Validation(ex.Path ?? "$", "malformed JSON, a value of the wrong type, or a field this endpoint does not accept");
        }

        if (body is null)
        {
            return Problems.Validation("$", "a JSON object is required");
        }

        var (command, problem) = await build(body, actor);
        if (problem is not null)
        {
            return problem;
        }

        var withTicket = command!;
        withTicket.Idempotency = ticket.Ticket;
        var wait = withTicket is PayCommand ? WaitSeconds(request) : null;
        // Registered before the engine sees the payment, so its settlement cannot slip past us unseen.
        var settled = wait is not null ? engine.Waiters.Register(((PayCommand)withTicket).Pay.PaymentId) : null;
        try
        {
            EngineOutcome outcome;
            try
            {
                outcome = await engine.SubmitAsync(withTicket);
            }
            catch (EngineBusyException)
            {
                // Refused at the door (Engine:MaxQueueDelay): nothing was queued or written, and no idempotency record
                // exists, so the same key is free for the retry.
                http.Response.Headers.RetryAfter = "1";
                return Problems.Create(StatusCodes.Status503ServiceUnavailable, "try_again", "The ledger is busy.",
                    "The ledger is behind on its work and applied nothing. Retry in a moment with the same Idempotency-Key.");
            }
            catch (Exception ex) when (ex is ShardMovedException or Npgsql.NpgsqlException or Marten.Exceptions.MartenCommandException or InvalidOperationException)
            {
                // Not acknowledged. Usually nothing was applied; if the commit's outcome was lost with the connection it
                // may have been, and the retry (same key) then gets the original answer: applied at most once either way.
                http.Response.Headers.RetryAfter = "1";
                return Problems.Create(StatusCodes.Status503ServiceUnavailable, "try_again", "Please retry.",
                    "The ledger could not confirm this request. Retry with the same Idempotency-Key: it is applied at most once.");
            }

            if (outcome.Error is { } error)
            {
                return Problems.From(error);
            }

            if (!outcome.Replayed && outcome.Payment is { } payment && store is not null && settled is not null && !Settled(payment.Status))
            {
                var final = await WaitForAsync(engine, store, payment.Id, settled, wait!.Value, ct);
                if (final is not null && final.Status != payment.Status)
                {
                    var body2 = JsonSerializer.Serialize(MoneyViews.Render(final), HostingDefaults.ResponseJson);
                    await IdempotencyStore.ReplaceBodyAsync(store, ticket.Ticket.RecordId, body2, ct);
                    http.Response.Headers["Preference-Applied"] = $"wait={wait}";
                    return IdempotencyGate.Replay(outcome.StatusCode, outcome.Location, body2, replayed: false);
                }
            }

            return IdempotencyGate.Replay(outcome.StatusCode, outcome.Location, outcome.Body, outcome.Replayed);
        }
        finally
        {
            if (settled is not null)
            {
                engine.Waiters.Forget(((PayCommand)withTicket).Pay.PaymentId);
            }
        }
    }

    private static bool Settled(string status) => PaymentStatuses.IsFinal(status) || status == PaymentStatuses.InReview;

    /// <summary><c>Prefer: wait=N</c> (RFC 7240), N seconds capped at 10; null when absent or malformed.</summary>
    private static int? WaitSeconds(HttpRequest request)
    {
        foreach (var preference in request.Headers["Prefer"].SelectMany(v => (v ?? string.Empty).Split(',')))
        {
            var parts = preference.Trim().Split('=', 2);
            if (parts.Length == 2 && parts[0].Trim().Equals("wait", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(parts[1].Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
            {
                return Math.Min(seconds, MaxWaitSeconds);
            }
        }

        return null;
    }

    private static async Task<PaymentRecord?> WaitForAsync(LedgerEngine engine, IDocumentStore store, string paymentId, Task<PaymentRecord> settled, int seconds, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
            return await settled.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Not final in time: answer with what the store holds now.
            await using var session = store.QuerySession();
            return await session.LoadAsync<PaymentRecord>(paymentId, ct);
        }
        finally
        {
            engine.Waiters.Forget(paymentId);
        }
    }

    private static ValueTask<(EngineCommand?, IResult?)> Transfer(DepositRequest body, Actor actor, TimeProvider clock, bool deposit)
    {
        var errors = new Dictionary<string, string[]>();
        var accountId = body.AccountId ?? string.Empty;
        if (!Ids.LooksLike(Ids.AccountPrefix, accountId))
        {
            errors["accountId"] = ["must be an account id (acc_…)"];
        }

        var money = ParseAmount(body.Amount, "amount", errors);
        var reference = body.Reference?.Trim() ?? string.Empty;
        if (reference.Length is 0 or > 140)
        {
            errors["reference"] = ["must be 1 to 140 characters"];
        }

        if (errors.Count > 0)
        {
            return ValueTask.FromResult<(EngineCommand?, IResult?)>((null, Problems.Validation(errors)));
        }

        var now = clock.GetUtcNow();
        EngineCommand command = deposit
            ? new DepositCommand(new Deposit(Ids.New(Ids.DepositPrefix), accountId, money, reference, actor, now))
            : new WithdrawCommand(new Withdraw(Ids.New(Ids.WithdrawalPrefix), accountId, money, reference, actor, now));
        return ValueTask.FromResult<(EngineCommand?, IResult?)>((command, null));
    }

    private static async ValueTask<(EngineCommand?, IResult?)> PaymentAsync(PaymentRequest body, Actor actor, IDocumentStore store, IRatesProvider rates, FxOptions fx, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var payer = body.PayerAccountId ?? string.Empty;
        if (!Ids.LooksLike(Ids.AccountPrefix, payer))
        {
            errors["payerAccountId"] = ["must be an account id (acc_…)"];
        }

        if ((body.PayeeAccountId is null) == (body.PayeeUsername is null))
        {
            errors["payeeAccountId"] = ["give exactly one of payeeAccountId and payeeUsername"];
        }
        else if (body.PayeeAccountId is not null && !Ids.LooksLike(Ids.AccountPrefix, body.PayeeAccountId))
        {
            errors["payeeAccountId"] = ["must be an account id (acc_…)"];
        }

        var money = ParseAmount(body.Amount, "amount", errors);
        var payeeCurrency = body.PayeeCurrency ?? body.Amount?.Currency ?? string.Empty;
        if (body.PayeeCurrency is not null && !Currencies.IsWellFormed(body.PayeeCurrency))
        {
            errors["payeeCurrency"] = ["must be a three-letter ISO 4217 code"];
        }

        if (body.Purpose is not (MoneyDecider.Purchase or MoneyDecider.Personal))
        {
            errors["purpose"] = ["must be purchase or personal"];
        }

        if (body.Description is { Length: > 500 })
        {
            errors["description"] = ["must be at most 500 characters"];
        }

        if (body.Metadata is { } metadata && (metadata.Count > 20 || metadata.Any(kv => kv.Key.Length is 0 or > 40 || kv.Value is null || kv.Value.Length > 500)))
        {
            errors["metadata"] = ["at most 20 string entries, keys of 1 to 40 characters, values of at most 500"];
        }

        if (errors.Count > 0)
        {
            return (null, Problems.Validation(errors));
        }

        if (body.PayeeCurrency is not null && FxEndpoints.CurrencyProblem("payeeCurrency", body.PayeeCurrency) is { } unsupported)
        {
            return (null, unsupported);
        }

        // Received in another currency: at a quote's locked price (checked again, authoritatively, by the payer's
        // shard writer, which also uses the quote up), or priced now from current rates with the configured spread.
        FxPrice? spot = null;
        string? spotSource = null;
        if (body.QuoteId is { } quoteId)
        {
            if (!Ids.LooksLike(Ids.QuotePrefix, quoteId))
            {
                return (null, Problems.NotFound("No such quote."));
            }

            if (body.PayeeCurrency is null)
            {
                await using var session = store.QuerySession();
                var quote = await session.LoadAsync<FxQuote>(quoteId, ct);
                if (quote is null || !string.Equals(quote.Owner, actor.Subject, StringComparison.Ordinal))
                {
                    return (null, Problems.NotFound("No such quote."));
                }

                payeeCurrency = quote.Price.BuyAmount.Currency;
            }
        }
        else if (payeeCurrency != money.Currency)
        {
            var (table, stale) = FxEndpoints.Fresh(rates, fx, clock);
            if (stale is not null)
            {
                return (null, stale);
            }

            spot = FxPricing.ForSellAmount(table!, money, payeeCurrency, fx.Spread);
            if (spot is null)
            {
                return (null, Problems.Create(StatusCodes.Status422UnprocessableEntity, ErrorCodes.CurrencyNotSupported, "No rate for this pair.",
                    $"The current rates ({table!.Source}) have no rate between {money.Currency} and {payeeCurrency}."));
            }

            if (FxEndpoints.PriceProblem(spot, "amount") is { } priceProblem)
            {
                return (null, priceProblem);
            }

            spotSource = table!.Source;
        }

        var payee = body.PayeeAccountId;
        if (payee is null)
        {
            if (AccountRulesUsername(body.PayeeUsername!) is not { } username)
            {
                return (null, Problems.NotFound("No account has that username."));
            }

            await using var session = store.QuerySession();
            var claim = await session.LoadAsync<UsernameClaim>(username, ct);
            if (claim is null)
            {
                return (null, Problems.NotFound("No account has that username."));
            }

            payee = claim.AccountId;
        }

        var pay = new Pay(Ids.New(Ids.PaymentPrefix), payer, payee, money, payeeCurrency, body.Purpose!, body.Description, body.Metadata, actor, clock.GetUtcNow(),
            body.QuoteId, spot, spotSource);
        return (new PayCommand(pay), null);
    }

    private static string? AccountRulesUsername(string raw) =>
        Domain.Accounts.AccountRules.ValidateUsername(raw, out var normalized) is null ? normalized : null;

    internal static Money ParseAmount(AmountRequest? amount, string field, Dictionary<string, string[]> errors)
    {
        if (amount is null)
        {
            errors[field] = ["is required: {\"amount\": \"12.34\", \"currency\": \"USD\"}"];
            return default;
        }

        var problem = Amounts.TryParse(amount.Amount, amount.Currency, out var money);
        switch (problem)
        {
            case Amounts.Problem.None:
                return money;
            case Amounts.Problem.UnknownCurrency or Amounts.Problem.UnsupportedCurrency:
                errors[field + ".currency"] = [Amounts.Describe(problem)];
                return default;
            default:
                errors[field + ".amount"] = [Amounts.Describe(problem)];
                return default;
        }
    }
}
