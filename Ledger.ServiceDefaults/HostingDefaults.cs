using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.Domain.Common;
using Ledger.Projections.Store;
using Marten;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ledger.ServiceDefaults;

/// <summary>Wiring every Ledger HTTP host shares. Hosts call <see cref="AddLedgerDefaults"/> then
/// <see cref="UseLedgerDefaults"/> and map their own feature endpoints.</summary>
public static class HostingDefaults
{
    public static WebApplicationBuilder AddLedgerDefaults(this WebApplicationBuilder builder, string serviceName,
        Action<Marten.StoreOptions>? store = null, Action<Marten.MartenServiceCollectionExtensions.MartenConfigurationExpression>? marten = null)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        // Structured logs. Request bodies are never logged, and nothing logs names or emails (SPEC: no PII in logs).
        if (!builder.Environment.IsDevelopment())
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = false);
        }

        services.AddSingleton(TimeProvider.System);
        services.Configure<JsonOptions>(o => ConfigureJson(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();

        services.AddLedgerAuth(configuration);
        services.AddLedgerRateLimits(configuration);

        var connectionString = configuration.GetConnectionString("Ledger")
            ?? throw new InvalidOperationException("ConnectionStrings:Ledger is not configured.");
        services.AddLedgerStore(connectionString, store, marten);
        services.AddHealthChecks().AddCheck<StoreHealthCheck>("store", tags: ["ready"]);

        services.AddLedgerOpenApi(serviceName);
        return builder;
    }

    /// <summary>The options responses are written with; the engine renders stored (idempotent) responses with them.</summary>
    public static readonly JsonSerializerOptions ResponseJson = CreateResponseJson();

    private static JsonSerializerOptions CreateResponseJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ConfigureJson(options);
        return options;
    }

    public static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
    }

    public static WebApplication UseLedgerDefaults(this WebApplication app)
    {
        app.UseExceptionHandler(errorApp => errorApp.Run(WriteExceptionProblem));
        app.UseStatusCodePages(async context =>
        {
            // Anything that would leave with an empty error body (405, unmatched 404, …) gets a problem too.
            var http = context.HttpContext;
            if (http.Response.HasStarted || http.Response.ContentLength > 0 || http.Response.ContentType is not null)
            {
                return;
            }

            var status = http.Response.StatusCode;
            var code = status switch
            {
                404 => ErrorCodes.NotFound,
                405 => "method_not_allowed",
                415 => ErrorCodes.UnsupportedMediaType,
                _ => "http_" + status,
            };
            await Problems.WriteAsync(http, status, code, "The request could not be served.", $"HTTP {status}.");
        });
        app.UseBodyLimit();
        app.UseLedgerOpenApi(); // documentation is public: before authorization's fallback policy
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
        return app;
    }

    private static async Task WriteExceptionProblem(HttpContext context)
    {
        var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        switch (exception)
        {
            case BadHttpRequestException bad:
                var (code, title) = bad.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => (ErrorCodes.PayloadTooLarge, "The request body is too large."),
                    StatusCodes.Status415UnsupportedMediaType => (ErrorCodes.UnsupportedMediaType, "Send application/json."),
                    _ => (ErrorCodes.ValidationFailed, "The request is not valid."),
                };
                await Problems.WriteAsync(context, bad.StatusCode, code, title, Describe(bad));
                break;
            default:
                // Logged by the exception handler middleware with the trace id; the client gets no internals.
                await Problems.WriteAsync(context, StatusCodes.Status500InternalServerError, "internal_error",
                    "Something went wrong on our side.", "The request was not completed; it is safe to retry with the same Idempotency-Key.");
                break;
        }
    }

    /// <summary>Says where the JSON went wrong (path, not values: bodies may carry personal data).</summary>
    private static string Describe(BadHttpRequestException bad) => bad.InnerException switch
    {
        JsonException json when json.Message.Contains("could not be mapped", StringComparison.Ordinal) =>
            $"Unknown field in the request body at '{json.Path}'. {ExtractProperty(json.Message)}".Trim(),
        JsonException json => $"The request body is not valid JSON for this endpoint (at '{json.Path ?? "$"}'): malformed JSON or a value of the wrong type.",
        _ when bad.Message.Contains("body was not provided", StringComparison.OrdinalIgnoreCase) => "A JSON request body is required.",
        _ => bad.StatusCode == StatusCodes.Status415UnsupportedMediaType ? "The request body must be application/json." : "The request could not be read.",
    };

    private static string ExtractProperty(string message)
    {
        var start = message.IndexOf('\'', StringComparison.Ordinal);
        var end = start >= 0 ? message.IndexOf('\'', start + 1) : -1;
        return start >= 0 && end > start ? $"Field {message[start..(end + 1)]} is not accepted." : string.Empty;
    }
}

/// <summary>Ready means the store answers a query.</summary>
internal sealed class StoreHealthCheck(IDocumentStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var session = store.QuerySession();
            await session.QueryAsync<int>("select 1", cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The event store is unreachable.", ex);
        }
    }
}
