using System.Security.Claims;
using Ledger.Domain.Common;

namespace Ledger.ServiceDefaults;

public static class Actors
{
    public const string SubjectClaim = "sub";
    public const string RoleClaim = "role";

    /// <summary>The caller as the domain sees it. Unknown role names are ignored, never guessed.</summary>
    public static Actor From(ClaimsPrincipal user)
    {
        var subject = user.FindFirst(SubjectClaim)?.Value ?? string.Empty;
        var roles = new HashSet<Role>();
        foreach (var claim in user.FindAll(RoleClaim))
        {
            if (Actor.TryParseRole(claim.Value, out var role))
            {
                roles.Add(role);
            }
        }

        return new Actor(subject, roles);
    }
}

/// <summary>Roles of services, not people: never issued to a person, never an owner of accounts.</summary>
public static class ServiceRoles
{
    /// <summary>The fraud pipeline: sends verdicts (CommandApi <c>POST /v1/fraud/verdicts</c>).</summary>
    public const string FraudService = "fraud_service";
}
