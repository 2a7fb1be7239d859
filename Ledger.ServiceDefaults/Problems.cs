using System.Text.Json;
using Ledger.Domain.Common;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Ledger.ServiceDefaults;

/// <summary>
/// RFC 9457 problem details with SPEC's stable <c>code</c>. Every error the API returns is built here, once.
/// </summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    public static string TypeUri(string code) => "https://ledger.dev/problems/" + code;

    public static ProblemHttpResult Create(int status, string code, string title, string? detail = null, IDictionary<string, string[]>? errors = null)
    {
        var problem = new ProblemDetails
        {
            Type = TypeUri(code),
            Title = title,
            Status = status,
            Detail = detail,
        };
        problem.Extensions["code"] = code;
        if (errors is not null)
        {
            problem.Extensions["errors"] = errors;
        }

        return TypedResults.Problem(problem);
    }

    public static ProblemHttpResult Validation(IDictionary<string, string[]> errors, string? detail = null) =>
        Create(StatusCodes.Status400BadRequest, ErrorCodes.ValidationFailed, "The request is not valid.", detail ?? "One or more fields are invalid.", errors);

    public static ProblemHttpResult Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemHttpResult NotFound(string detail = "No such resource.") =>
        Create(StatusCodes.Status404NotFound, ErrorCodes.NotFound, "Not found.", detail);

    public static ProblemHttpResult VersionMismatch(long current) =>
        Create(StatusCodes.Status412PreconditionFailed, ErrorCodes.VersionMismatch, "The resource has changed.",
            $"If-Match does not match the current version {current}; fetch it again and retry.");

    public static ProblemHttpResult From(DomainError error) => error.Kind switch
    {
        ErrorKind.Validation => Create(StatusCodes.Status400BadRequest, error.Code, "The request is not valid.", error.Detail),
        ErrorKind.NotFound => Create(StatusCodes.Status404NotFound, error.Code, "Not found.", error.Detail),
        ErrorKind.Forbidden => Create(StatusCodes.Status403Forbidden, error.Code, "Not allowed for your role.", error.Detail),
        ErrorKind.Conflict => Create(StatusCodes.Status409Conflict, error.Code, "Conflict.", error.Detail),
        ErrorKind.VersionMismatch => Create(StatusCodes.Status412PreconditionFailed, error.Code, "The resource has changed.", error.Detail),
        ErrorKind.BusinessRule => Create(StatusCodes.Status422UnprocessableEntity, error.Code, "The request breaks a business rule.", error.Detail),
        _ => throw new ArgumentOutOfRangeException(nameof(error)),
    };

    /// <summary>For middleware that answers before an endpoint runs (auth challenge, rate limiter, body limits).</summary>
    public static async Task WriteAsync(HttpContext context, int status, string code, string title, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = ContentType;
        var body = new Dictionary<string, object?>
        {
            ["type"] = TypeUri(code),
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["code"] = code,
        };
        await JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }
}
