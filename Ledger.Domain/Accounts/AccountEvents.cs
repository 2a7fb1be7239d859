namespace Ledger.Domain.Accounts;

/// <summary>
/// Events of one account stream. Stored names are explicit and versioned (see Ledger.Projections
/// EventNames); a shipped event never changes shape — a new shape is a new V2 record plus an upcaster.
/// </summary>
public abstract record AccountEvent(string AccountId, DateTimeOffset At);

public sealed record AccountOpened(
    string AccountId,
    string Owner,
    string Username,
    Protected Name,
    Protected Email,
    AccountStatus Status,
    DateTimeOffset At) : AccountEvent(AccountId, At);

public sealed record AccountUsernameChanged(string AccountId, string Username, string PreviousUsername, DateTimeOffset At)
    : AccountEvent(AccountId, At);

public sealed record AccountNameChanged(string AccountId, Protected Name, DateTimeOffset At) : AccountEvent(AccountId, At);

public sealed record AccountEmailChanged(string AccountId, Protected Email, DateTimeOffset At) : AccountEvent(AccountId, At);

public sealed record AccountSuspended(string AccountId, string By, DateTimeOffset At) : AccountEvent(AccountId, At);

public sealed record AccountReactivated(string AccountId, string By, DateTimeOffset At) : AccountEvent(AccountId, At);

public sealed record AccountClosed(string AccountId, string By, DateTimeOffset At) : AccountEvent(AccountId, At);

/// <summary>The person's key was destroyed: name and email are gone for good (crypto-shredding).</summary>
public sealed record AccountPersonalDataErased(string AccountId, string By, DateTimeOffset At) : AccountEvent(AccountId, At);
