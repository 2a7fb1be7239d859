namespace Ledger.Domain.Common;

/// <summary>The roles of SPEC "Who uses it". A token may carry several.</summary>
public enum Role
{
    Customer,
    Partner,
    Support,
    Auditor,
    Analyst,
    Regulator,
}

/// <summary>Who issues a command: the token's <c>sub</c> and roles.</summary>
public sealed record Actor(string Subject, IReadOnlySet<Role> Roles)
{
    public bool Has(Role role) => Roles.Contains(role);
    public bool IsSupport => Has(Role.Support);

    /// <summary>Customers and partners act on what they own (SPEC "Authentication and authorisation").</summary>
    public bool CanOwnAccounts => Has(Role.Customer) || Has(Role.Partner);

    /// <summary>Roles that read every account: support, auditor, regulator.</summary>
    public bool ReadsEverything => Has(Role.Support) || Has(Role.Auditor) || Has(Role.Regulator);

    public static bool TryParseRole(string value, out Role role)
    {
        switch (value)
        {
            case "customer": role = Role.Customer; return true;
            case "partner": role = Role.Partner; return true;
            case "support": role = Role.Support; return true;
            case "auditor": role = Role.Auditor; return true;
            case "analyst": role = Role.Analyst; return true;
            case "regulator": role = Role.Regulator; return true;
            default: role = default; return false;
        }
    }

    public static string RoleName(Role role) => role switch
    {
        Role.Customer => "customer",
        Role.Partner => "partner",
        Role.Support => "support",
        Role.Auditor => "auditor",
        Role.Analyst => "analyst",
        Role.Regulator => "regulator",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };
}
