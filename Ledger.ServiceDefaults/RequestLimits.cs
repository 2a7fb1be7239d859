using System.Threading.RateLimiting;
using Ledger.Domain.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.ServiceDefaults;

/// <summary>Per-subject token bucket (section <c>RateLimiting</c>); anonymous callers are bucketed by address.</summary>
public sealed class RateLimitSettings
{
    public bool Enabled { get; set; } = true;
    public int PermitsPerSecond { get; set; } = 200;
    public int Burst { get; set; } = 400;
}

public static class RequestLimits
{
    /// <summary>SPEC: bodies over 64 KB answer 413 <c>payload_too_large</c>.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>Verdicts per <c>POST /v1/fraud/verdicts</c> call: CommandApi refuses more, the pipeline sends no more.</summary>
    public const int MaxVerdictsPerCall = 1_000;

    public static IServiceCollection AddLedgerRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection("RateLimiting").Get<RateLimitSettings>() ?? new RateLimitSettings();
        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                if (!settings.Enabled || context.Request.Path.StartsWithSegments("/health"))
                {
                    return RateLimitPartition.GetNoLimiter("unlimited");
                }

                // The fraud pipeline's verdicts are one call per scored batch, as many as the payments customers (each
                // limited) make: limiting the service like a person would turn load into deadline fallbacks.
                if (context.User.HasClaim(Actors.RoleClaim, ServiceRoles.FraudService))
                {
                    return RateLimitPartition.GetNoLimiter("service:fraud");
                }

                var subject = context.User.FindFirst(Actors.SubjectClaim)?.Value;
                var key = subject is not null ? "sub:" + subject : "ip:" + context.Connection.RemoteIpAddress;
                return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Math.Max(1, settings.Burst),
                    TokensPerPeriod = Math.Max(1, settings.PermitsPerSecond),
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            options.OnRejected = async (context, cancellation) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Problems.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited,
                    "Too many requests.", $"Slow down; retry after {seconds} s.");
            };
        });
        return services;
    }

    /// <summary>
    /// Refuses bodies over <see cref="MaxBodyBytes"/> with a problem, whether the length is declared or chunked, and
    /// whatever the server (Kestrel's own limit does not exist under the test server).
    /// </summary>
    public static IApplicationBuilder UseBodyLimit(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        if (request.ContentLength > MaxBodyBytes)
        {
            await TooLarge(context);
            return;
        }

        if (request.ContentLength is null && (HttpMethods.IsPost(request.Method) || HttpMethods.IsPatch(request.Method) || HttpMethods.IsPut(request.Method)))
        {
            var buffer = new MemoryStream();
            var chunk = new byte[8192];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > MaxBodyBytes)
                {
                    await TooLarge(context);
                    return;
                }
            }

            buffer.Position = 0;
            request.Body = buffer;
            request.ContentLength = buffer.Length;
        }

        await next(context);
    });

    private static Task TooLarge(HttpContext context) =>
        Problems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge,
            "The request body is too large.", $"Bodies are limited to {MaxBodyBytes / 1024} KB.");
}
