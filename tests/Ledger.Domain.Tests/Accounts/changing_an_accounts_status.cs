using Ledger.Domain.Accounts;
using Ledger.Domain.Common;
using static Ledger.Domain.Tests.Accounts.AccountSpec;

namespace Ledger.Domain.Tests.Accounts;

public class changing_an_accounts_status
{
    private static readonly AccountSuspended Suspended = new(Id, "sam", T0.AddMinutes(1));
    private static readonly AccountClosed Closed = new(Id, "alice", T0.AddMinutes(2));

    [Fact]
    public void only_support_suspends()
    {
        Given(Opened(), Patch(Alice, status: AccountStatus.Suspended)).ShouldFailWith(ErrorKind.Forbidden, ErrorCodes.Forbidden);
        Given(Opened(), Patch(Support, status: AccountStatus.Suspended)).Events.Should().ContainSingle().Which.Should().BeOfType<AccountSuspended>();
    }

    [Fact]
    public void only_support_reactivates()
    {
        Given([Opened(), Suspended], Patch(Alice, status: AccountStatus.Active)).ShouldFailWith(ErrorKind.Forbidden, ErrorCodes.Forbidden);
        Given([Opened(), Suspended], Patch(Support, status: AccountStatus.Active)).Events.Should().ContainSingle().Which.Should().BeOfType<AccountReactivated>();
    }

    [Fact]
    public void the_owner_closes_an_active_account() =>
        Given(Opened(), Patch(Alice, status: AccountStatus.Closed)).Events.Should().ContainSingle().Which.Should().BeOfType<AccountClosed>();

    [Fact]
    public void the_owner_cannot_close_a_suspended_account_but_support_can()
    {
        Given([Opened(), Suspended], Patch(Alice, status: AccountStatus.Closed)).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.AccountNotActive);
        Given([Opened(), Suspended], Patch(Support, status: AccountStatus.Closed)).Events.Should().ContainSingle().Which.Should().BeOfType<AccountClosed>();
    }

    [Fact]
    public void closing_is_refused_while_something_blocks_it() =>
        Given(Opened(), Patch(Alice, status: AccountStatus.Closed, blockers: "USD balance is not zero"))
            .ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.AccountNotEmpty);

    [Fact]
    public void a_closed_account_cannot_be_reopened_even_by_support()
    {
        Given([Opened(), Closed], Patch(Alice, status: AccountStatus.Active)).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.AccountClosed);
        Given([Opened(), Closed], Patch(Support, status: AccountStatus.Active)).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.AccountClosed);
    }

    [Fact]
    public void a_closed_account_cannot_be_edited() =>
        Given([Opened(), Closed], Patch(Alice, name: "New Name")).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.AccountClosed);

    [Fact]
    public void suspending_a_suspended_account_changes_nothing() =>
        Given([Opened(), Suspended], Patch(Support, status: AccountStatus.Suspended)).Events.Should().BeEmpty();
}
