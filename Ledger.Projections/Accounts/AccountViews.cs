using Ledger.Domain.Accounts;
using Ledger.Projections.Privacy;

namespace Ledger.Projections.Accounts;

/// <summary>One balance line of SPEC's account view: amounts as decimal strings in major units.</summary>
public sealed record BalanceView(string Currency, string Available, string Pending, string Held);

/// <summary>SPEC "Accounts": the account view every API returns. <c>version</c> is the stream version, also the ETag.</summary>
public sealed record AccountView(
    string Id,
    string Username,
    string Name,
    string Email,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version,
    IReadOnlyList<BalanceView> Balances);

public static class AccountViews
{
    /// <summary>What auditors see in place of erased personal data.</summary>
    public const string Redacted = "[redacted]";

    /// <summary>Renders the view; with no data key (erased), name and email are <see cref="Redacted"/>.</summary>
    public static AccountView Render(AccountState state, byte[]? dataKey, IReadOnlyList<BalanceView> balances)
    {
        var readable = dataKey is not null && !state.PersonalDataErased;
        return new AccountView(
            state.Id,
            state.Username,
            readable ? PiiProtector.Open(dataKey!, state.Id, PiiField.Name, state.Name) : Redacted,
            readable ? PiiProtector.Open(dataKey!, state.Id, PiiField.Email, state.Email) : Redacted,
            AccountStatuses.Name(state.Status),
            state.CreatedAt,
            state.UpdatedAt,
            state.Version,
            balances);
    }

    /// <summary>Strong ETag of a stream version, and the version an <c>If-Match</c> asks for.</summary>
    public static string ETag(long version) => "\"" + version.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\"";

    /// <summary>Parses <c>If-Match</c>: <c>"7"</c>, <c>W/"7"</c>, <c>7</c> or <c>*</c> (any). Null when malformed.</summary>
    public static bool TryParseIfMatch(string? header, out long? version)
    {
        version = null;
        if (string.IsNullOrWhiteSpace(header) || header.Trim() == "*")
        {
            return true;
        }

        var value = header.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal))
        {
            value = value[2..];
        }

        value = value.Trim('"');
        if (long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
        {
            version = parsed;
            return true;
        }

        return false;
    }
}
