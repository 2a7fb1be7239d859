using JasperFx.Events;
using Ledger.Domain.Accounts;
using Marten.Events.Aggregation;

namespace Ledger.Projections.Accounts;

/// <summary>Inline snapshot of <see cref="AccountState"/>, folded by the domain's own Evolve so there is one
/// definition of how an account changes.</summary>
public partial class AccountStateProjection : SingleStreamProjection<AccountState, string>
{
    public AccountStateProjection()
    {
        // Only account events: payment and deposit streams share the store and must not cost this projection a lookup.
        IncludeType<AccountOpened>();
        IncludeType<AccountUsernameChanged>();
        IncludeType<AccountNameChanged>();
        IncludeType<AccountEmailChanged>();
        IncludeType<AccountSuspended>();
        IncludeType<AccountReactivated>();
        IncludeType<AccountClosed>();
        IncludeType<AccountPersonalDataErased>();
    }

    public override AccountState? Evolve(AccountState? snapshot, string id, IEvent e) =>
        e.Data is AccountEvent accountEvent ? AccountDecider.Evolve(snapshot, accountEvent) : snapshot;
}

/// <summary>Reserves a username (lower-cased) for one account. Its primary key makes two simultaneous opens with one
/// username commit exactly once. Claims of closed accounts are kept, so a former holder cannot be impersonated.</summary>
public sealed class UsernameClaim
{
    public string Id { get; set; } = string.Empty;
    public string AccountId { get; set; } = string.Empty;
}
