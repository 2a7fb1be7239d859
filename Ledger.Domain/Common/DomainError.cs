namespace Ledger.Domain.Common;

/// <summary>
/// A business-rule failure as a value (CONVENTIONS rule 5). <see cref="Code"/> is the stable, documented
/// code clients switch on; the HTTP layer maps each <see cref="ErrorKind"/> to one status, once.
/// </summary>
public sealed record DomainError(ErrorKind Kind, string Code, string Detail)
{
    public static DomainError Validation(string detail) => new(ErrorKind.Validation, ErrorCodes.ValidationFailed, detail);
    public static DomainError NotFound(string detail) => new(ErrorKind.NotFound, ErrorCodes.NotFound, detail);
    public static DomainError Forbidden(string detail) => new(ErrorKind.Forbidden, ErrorCodes.Forbidden, detail);
    public static DomainError Conflict(string code, string detail) => new(ErrorKind.Conflict, code, detail);
    public static DomainError Rule(string code, string detail) => new(ErrorKind.BusinessRule, code, detail);
}

public enum ErrorKind
{
    Validation,
    NotFound,
    Forbidden,
    Conflict,
    VersionMismatch,
    BusinessRule,
}

/// <summary>The stable <c>code</c> values of SPEC "Errors" plus the ones this codebase adds (documented in docs/errors.md).</summary>
public static class ErrorCodes
{
    public const string ValidationFailed = "validation_failed";
    public const string Unauthenticated = "unauthenticated";
    public const string Forbidden = "forbidden";
    public const string NotFound = "not_found";
    public const string Conflict = "conflict";
    public const string UsernameTaken = "username_taken";
    public const string VersionMismatch = "version_mismatch";
    public const string AccountNotActive = "account_not_active";
    public const string AccountClosed = "account_closed";
    public const string AccountNotEmpty = "account_not_empty";
    public const string InsufficientFunds = "insufficient_funds";
    public const string CurrencyNotSupported = "currency_not_supported";
    public const string QuoteExpired = "quote_expired";
    public const string QuoteUsed = "quote_used";
    public const string RatesUnavailable = "rates_unavailable";
    public const string PaymentNotRefundable = "payment_not_refundable";
    public const string RefundExceedsPayment = "refund_exceeds_payment";
    public const string DisputeOpen = "dispute_open";
    public const string NotAPurchase = "not_a_purchase";
    public const string PaymentNotDisputable = "payment_not_disputable";
    public const string ProtectionWindowClosed = "protection_window_closed";
    public const string DisputeNotOpen = "dispute_not_open";
    public const string PaymentHeld = "payment_held";
    public const string PaymentNotHeld = "payment_not_held";
    public const string PaymentToSelf = "payment_to_self";
    public const string PaymentNotInReview = "payment_not_in_review";
    public const string IdempotencyKeyReused = "idempotency_key_reused";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string RateLimited = "rate_limited";
}

/// <summary>Either the events a command decided, or the rule it broke.</summary>
public readonly record struct Decision<TEvent>(IReadOnlyList<TEvent> Events, DomainError? Error)
{
    public bool IsError => Error is not null;
    public static Decision<TEvent> Ok(params TEvent[] events) => new(events, null);
    public static Decision<TEvent> Ok(IReadOnlyList<TEvent> events) => new(events, null);
    public static Decision<TEvent> Fail(DomainError error) => new([], error);
    public static implicit operator Decision<TEvent>(DomainError error) => Fail(error);
}
