using System.Net.Mail;
using Ledger.Domain.Common;

namespace Ledger.Domain.Accounts;

public enum AccountStatus
{
    Active,
    Suspended,
    Closed,
}

public static class AccountStatuses
{
    public static string Name(AccountStatus status) => status switch
    {
        AccountStatus.Active => "active",
        AccountStatus.Suspended => "suspended",
        AccountStatus.Closed => "closed",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static bool TryParse(string? value, out AccountStatus status)
    {
        switch (value)
        {
            case "active": status = AccountStatus.Active; return true;
            case "suspended": status = AccountStatus.Suspended; return true;
            case "closed": status = AccountStatus.Closed; return true;
            default: status = default; return false;
        }
    }
}

/// <summary>
/// A personal field (name, email) as the ledger stores it: ciphertext under the person's own key plus a keyed
/// fingerprint (HMAC under the same key) so the domain can tell "changed" from "same" without ever seeing the
/// plaintext. Destroying the key makes both meaningless: that is the crypto-shredding of SPEC "Accounts".
/// </summary>
public readonly record struct Protected(string Cipher, string Fingerprint)
{
    public bool SameValueAs(Protected other) => string.Equals(Fingerprint, other.Fingerprint, StringComparison.Ordinal);
}

/// <summary>Input rules for account fields, applied before anything is sealed or written.</summary>
public static class AccountRules
{
    public const int UsernameMinLength = 3;
    public const int UsernameMaxLength = 32;
    public const int NameMaxLength = 200;
    public const int EmailMaxLength = 254;

    /// <summary>Usernames are lower-case ASCII letters, digits, '.', '_' and '-', 3–32 long, starting with a letter or
    /// digit. They are compared case-insensitively, so they are normalised to lower case on the way in.</summary>
    public static string? ValidateUsername(string? raw, out string normalized)
    {
        normalized = (raw ?? string.Empty).Trim().ToLowerInvariant();
        if (normalized.Length is < UsernameMinLength or > UsernameMaxLength)
        {
            return $"must be {UsernameMinLength} to {UsernameMaxLength} characters";
        }

        if (!char.IsAsciiLetterOrDigit(normalized[0]))
        {
            return "must start with a letter or digit";
        }

        foreach (var c in normalized)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '_' or '-'))
            {
                return "may contain only letters, digits, '.', '_' and '-'";
            }
        }

        return null;
    }

    public static string? ValidateName(string? raw, out string normalized)
    {
        normalized = (raw ?? string.Empty).Trim();
        if (normalized.Length == 0)
        {
            return "must not be empty";
        }

        if (normalized.Length > NameMaxLength)
        {
            return $"must be at most {NameMaxLength} characters";
        }

        return normalized.Any(char.IsControl) ? "must not contain control characters" : null;
    }

    /// <summary>An address with one '@', a dotted domain and no display name; stored as given, domain lower-cased.</summary>
    public static string? ValidateEmail(string? raw, out string normalized)
    {
        normalized = (raw ?? string.Empty).Trim();
        if (normalized.Length is 0 or > EmailMaxLength)
        {
            return $"must be a valid address of at most {EmailMaxLength} characters";
        }

        var at = normalized.LastIndexOf('@');
        if (at <= 0 || at == normalized.Length - 1 || normalized.IndexOf('@') != at || normalized.Any(char.IsWhiteSpace))
        {
            return "must be a valid email address";
        }

        var domain = normalized[(at + 1)..];
        if (!domain.Contains('.', StringComparison.Ordinal) || domain.StartsWith('.') || domain.EndsWith('.') || domain.Contains("..", StringComparison.Ordinal))
        {
            return "must be a valid email address";
        }

        if (!MailAddress.TryCreate(normalized, out var parsed) || parsed.Address != normalized || !string.IsNullOrEmpty(parsed.DisplayName))
        {
            return "must be a valid email address";
        }

        normalized = string.Concat(normalized.AsSpan(0, at + 1), domain.ToLowerInvariant());
        return null;
    }

    internal static DomainError? EnsureEditable(AccountState state) =>
        state.Status == AccountStatus.Closed
            ? DomainError.Rule(ErrorCodes.AccountClosed, "The account is closed; a closed account cannot be edited or reopened.")
            : null;
}
