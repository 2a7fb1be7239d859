using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Ledger.ServiceDefaults;

/// <summary>
/// JWT bearer settings (section <c>Auth</c>). Production points <c>Authority</c> at the identity provider, or sets
/// <c>SigningKey</c> for a shared HMAC key; issuer and audience are always validated.
/// </summary>
public sealed class AuthSettings
{
    public string Issuer { get; set; } = "ledger";
    public string Audience { get; set; } = "ledger-api";
    public string? Authority { get; set; }
    public string? SigningKey { get; set; }
    public TimeSpan DevTokenLifetime { get; set; } = TimeSpan.FromHours(8);

    public SymmetricSecurityKey? SymmetricKey() =>
        string.IsNullOrWhiteSpace(SigningKey) ? null : new SymmetricSecurityKey(Convert.FromBase64String(SigningKey));
}

public static class Auth
{
    public static AuthSettings AddLedgerAuth(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection("Auth").Get<AuthSettings>() ?? new AuthSettings();
        var key = settings.SymmetricKey();
        if (key is null && string.IsNullOrWhiteSpace(settings.Authority))
        {
            throw new InvalidOperationException("Auth:SigningKey (base64) or Auth:Authority must be configured.");
        }

        if (key is not null && key.KeySize < 256)
        {
            throw new InvalidOperationException("Auth:SigningKey must be at least 32 bytes.");
        }

        services.AddSingleton(settings);
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false;
            options.Authority = string.IsNullOrWhiteSpace(settings.Authority) ? null : settings.Authority;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = settings.Issuer,
                ValidAudience = settings.Audience,
                IssuerSigningKey = key,
                ValidateIssuerSigningKey = true,
                NameClaimType = Actors.SubjectClaim,
                RoleClaimType = Actors.RoleClaim,
                ClockSkew = TimeSpan.FromSeconds(30),
            };
            options.Events = new JwtBearerEvents
            {
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    await Problems.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized, Ledger.Domain.Common.ErrorCodes.Unauthenticated,
                        "Authentication required.", "Send a valid bearer token in the Authorization header.");
                },
                OnForbidden = context => Problems.WriteAsync(context.HttpContext, StatusCodes.Status403Forbidden, Ledger.Domain.Common.ErrorCodes.Forbidden,
                    "Not allowed for your role.", "Your token does not carry a role this endpoint accepts."),
            };
        });

        // Every endpoint needs a token unless it says AllowAnonymous (health, dev tokens, swagger).
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser()
                .RequireClaim(Actors.SubjectClaim)
                .Build());
        return settings;
    }

    /// <summary>Issues a token the way the identity provider would; used by the development endpoint and tests.</summary>
    public static string IssueToken(AuthSettings settings, string subject, IEnumerable<string> roles, DateTimeOffset now)
    {
        var key = settings.SymmetricKey() ?? throw new InvalidOperationException("Tokens can only be issued with Auth:SigningKey.");
        var claims = new Dictionary<string, object>
        {
            [Actors.SubjectClaim] = subject,
            [Actors.RoleClaim] = roles.ToArray(),
        };
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            Claims = claims,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = now.Add(settings.DevTokenLifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    public static Ledger.Domain.Common.Actor Actor(this ClaimsPrincipal user) => Actors.From(user);
}

/// <summary><c>POST /v1/dev/tokens</c>: only in the embedded/development mode; a plain 404 everywhere else.</summary>
public static class DevTokenEndpoints
{
    public sealed record DevTokenRequest(string? Subject, string[]? Roles);

    public sealed record DevTokenResponse(string Token, DateTimeOffset ExpiresAt);

    public static IEndpointRouteBuilder MapDevTokens(this IEndpointRouteBuilder app, bool enabled)
    {
        if (!enabled)
        {
            app.MapPost("/v1/dev/tokens", () => Problems.NotFound()).AllowAnonymous().ExcludeFromDescription();
            return app;
        }

        app.MapPost("/v1/dev/tokens", (DevTokenRequest request, AuthSettings settings, TimeProvider clock) =>
            {
                var errors = new Dictionary<string, string[]>();
                var subject = request.Subject?.Trim() ?? string.Empty;
                if (subject.Length is 0 or > 128)
                {
                    errors["subject"] = ["must be 1 to 128 characters"];
                }

                var roles = request.Roles ?? [];
                if (roles.Length == 0 || roles.Any(r => !Ledger.Domain.Common.Actor.TryParseRole(r, out _)))
                {
                    errors["roles"] = ["must list one or more of customer, partner, support, auditor, analyst, regulator"];
                }

                if (errors.Count > 0)
                {
                    return (IResult)Problems.Validation(errors);
                }

                var now = clock.GetUtcNow();
                return TypedResults.Ok(new DevTokenResponse(Auth.IssueToken(settings, subject, roles.Distinct(), now), now.Add(settings.DevTokenLifetime)));
            })
            .AllowAnonymous()
            .WithTags("Development")
            .WithSummary("Issue a development token (embedded mode only; 404 otherwise).")
            .Produces<DevTokenResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }
}
