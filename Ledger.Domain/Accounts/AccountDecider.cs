using Ledger.Domain.Common;

namespace Ledger.Domain.Accounts;

/// <summary>An account as the write side needs it; evolved only by <see cref="AccountDecider.Evolve"/>.</summary>
public sealed record AccountState(
    string Id,
    string Owner,
    string Username,
    Protected Name,
    Protected Email,
    AccountStatus Status,
    bool PersonalDataErased,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long Version)
{
    public bool IsOwnedBy(Actor actor) => string.Equals(Owner, actor.Subject, StringComparison.Ordinal);
}

public abstract record AccountCommand(Actor Actor, DateTimeOffset At);

public sealed record OpenAccount(
    string AccountId,
    string Username,
    Protected Name,
    Protected Email,
    AccountStatus? Status,
    Actor Actor,
    DateTimeOffset At) : AccountCommand(Actor, At);

/// <summary>A PATCH: every non-null field is a requested value; only the ones that differ become events.</summary>
/// <param name="ClosureBlockers">Why the account may not be closed now (non-zero balances, holds, disputes), as
/// read by the caller from the money side; empty when nothing blocks.</param>
public sealed record UpdateAccount(
    string? Username,
    Protected? Name,
    Protected? Email,
    AccountStatus? Status,
    IReadOnlyList<string> ClosureBlockers,
    Actor Actor,
    DateTimeOffset At) : AccountCommand(Actor, At);

/// <summary>DELETE: close the account and erase the person's data.</summary>
public sealed record DeleteAccount(IReadOnlyList<string> ClosureBlockers, Actor Actor, DateTimeOffset At) : AccountCommand(Actor, At);

/// <summary>
/// Decide(state, command) -> events and Evolve(state, event) -> state for one account (CONVENTIONS: the
/// EventSourcing.NetCore decider shape). Ownership is checked here as well as at the edge so no caller can skip it.
/// </summary>
public static class AccountDecider
{
    public static Decision<AccountEvent> Decide(AccountState? state, AccountCommand command) => command switch
    {
        OpenAccount open => Open(state, open),
        UpdateAccount update => Update(state, update),
        DeleteAccount delete => Delete(state, delete),
        _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "Unknown account command."),
    };

    private static Decision<AccountEvent> Open(AccountState? state, OpenAccount c)
    {
        if (state is not null)
        {
            return DomainError.Conflict(ErrorCodes.Conflict, "An account with this id already exists.");
        }

        if (!c.Actor.CanOwnAccounts)
        {
            return DomainError.Forbidden("Only customers and partners open accounts.");
        }

        var status = c.Status ?? AccountStatus.Active;
        if (status == AccountStatus.Closed)
        {
            return DomainError.Validation("An account cannot be opened closed.");
        }

        if (status == AccountStatus.Suspended && !c.Actor.IsSupport)
        {
            return DomainError.Forbidden("Only support may suspend an account.");
        }

        return Decision<AccountEvent>.Ok(new AccountOpened(c.AccountId, c.Actor.Subject, c.Username, c.Name, c.Email, status, c.At));
    }

    private static Decision<AccountEvent> Update(AccountState? state, UpdateAccount c)
    {
        if (Visible(state, c.Actor) is { } missing)
        {
            return missing;
        }

        if (AccountRules.EnsureEditable(state!) is { } closed)
        {
            return closed;
        }

        var events = new List<AccountEvent>(4);
        if (c.Username is not null && c.Username != state!.Username)
        {
            events.Add(new AccountUsernameChanged(state.Id, c.Username, state.Username, c.At));
        }

        if (c.Name is { } name && !name.SameValueAs(state!.Name))
        {
            events.Add(new AccountNameChanged(state.Id, name, c.At));
        }

        if (c.Email is { } email && !email.SameValueAs(state!.Email))
        {
            events.Add(new AccountEmailChanged(state.Id, email, c.At));
        }

        if (c.Status is { } status && status != state!.Status)
        {
            var transition = ChangeStatus(state, status, c.ClosureBlockers, c.Actor, c.At);
            if (transition.IsError)
            {
                return transition;
            }

            events.AddRange(transition.Events);
        }

        return Decision<AccountEvent>.Ok(events);
    }

    private static Decision<AccountEvent> Delete(AccountState? state, DeleteAccount c)
    {
        if (Visible(state, c.Actor) is { } missing)
        {
            return missing;
        }

        var events = new List<AccountEvent>(2);
        if (state!.Status != AccountStatus.Closed)
        {
            var close = ChangeStatus(state, AccountStatus.Closed, c.ClosureBlockers, c.Actor, c.At);
            if (close.IsError)
            {
                return close;
            }

            events.AddRange(close.Events);
        }

        events.Add(new AccountPersonalDataErased(state.Id, c.Actor.Subject, c.At));
        return Decision<AccountEvent>.Ok(events);
    }

    private static Decision<AccountEvent> ChangeStatus(AccountState state, AccountStatus to, IReadOnlyList<string> blockers, Actor actor, DateTimeOffset at)
    {
        switch (state.Status, to)
        {
            case (AccountStatus.Active, AccountStatus.Suspended):
                return actor.IsSupport
                    ? Decision<AccountEvent>.Ok(new AccountSuspended(state.Id, actor.Subject, at))
                    : DomainError.Forbidden("Only support may suspend an account.");
            case (AccountStatus.Suspended, AccountStatus.Active):
                return actor.IsSupport
                    ? Decision<AccountEvent>.Ok(new AccountReactivated(state.Id, actor.Subject, at))
                    : DomainError.Forbidden("Only support may reactivate a suspended account.");
            case (AccountStatus.Suspended, AccountStatus.Closed) when !actor.IsSupport:
                // A suspended account may be under investigation: closing it is support's call, not the holder's.
                return DomainError.Rule(ErrorCodes.AccountNotActive, "The account is suspended; only support may close it.");
            case (_, AccountStatus.Closed):
                return blockers.Count > 0
                    ? DomainError.Rule(ErrorCodes.AccountNotEmpty, "The account cannot be closed: " + string.Join("; ", blockers) + ".")
                    : Decision<AccountEvent>.Ok(new AccountClosed(state.Id, actor.Subject, at));
            default:
                return DomainError.Validation($"Status cannot change from {AccountStatuses.Name(state.Status)} to {AccountStatuses.Name(to)}.");
        }
    }

    /// <summary>Not there, erased, or not the caller's (and the caller is not support): all look the same, 404.</summary>
    private static DomainError? Visible(AccountState? state, Actor actor) =>
        state is null || state.PersonalDataErased || !(state.IsOwnedBy(actor) || actor.IsSupport)
            ? DomainError.NotFound("No such account.")
            : null;

    public static AccountState? Evolve(AccountState? state, AccountEvent @event) => (state, @event) switch
    {
        (null, AccountOpened e) => new AccountState(e.AccountId, e.Owner, e.Username, e.Name, e.Email, e.Status, false, e.At, e.At, 1),
        (null, _) => null,
        (_, AccountOpened) => state,
        (_, AccountUsernameChanged e) => Next(state, e) with { Username = e.Username },
        (_, AccountNameChanged e) => Next(state, e) with { Name = e.Name },
        (_, AccountEmailChanged e) => Next(state, e) with { Email = e.Email },
        (_, AccountSuspended e) => Next(state, e) with { Status = AccountStatus.Suspended },
        (_, AccountReactivated e) => Next(state, e) with { Status = AccountStatus.Active },
        (_, AccountClosed e) => Next(state, e) with { Status = AccountStatus.Closed },
        (_, AccountPersonalDataErased e) => Next(state, e) with
        {
            PersonalDataErased = true,
            Name = default,
            Email = default,
        },
        _ => state,
    };

    private static AccountState Next(AccountState state, AccountEvent e) =>
        state with { UpdatedAt = e.At, Version = state.Version + 1 };

    public static AccountState? Fold(IEnumerable<AccountEvent> events) =>
        events.Aggregate((AccountState?)null, Evolve);
}
