using Ledger.Domain.Accounts;
using Ledger.Domain.Common;
using static Ledger.Domain.Tests.Accounts.AccountSpec;

namespace Ledger.Domain.Tests.Accounts;

public class opening_an_account
{
    private static OpenAccount Open(Actor actor, AccountStatus? status = null) =>
        new(Id, "alice", Sealed("Alice Liddell"), Sealed("alice@example.com"), status, actor, T0);

    [Fact]
    public void a_customer_opens_an_active_account_they_own()
    {
        var decision = AccountDecider.Decide(null, Open(Alice));
        decision.Error.Should().BeNull();
        decision.Events.Should().ContainSingle().Which.Should().Be(Opened());
        var state = AccountDecider.Fold(decision.Events)!;
        state.Owner.Should().Be("alice");
        state.Status.Should().Be(AccountStatus.Active);
        state.Version.Should().Be(1);
    }

    [Fact]
    public void an_id_already_in_use_is_a_conflict() =>
        Given(Opened(), Open(Alice)).ShouldFailWith(ErrorKind.Conflict, ErrorCodes.Conflict);

    [Fact]
    public void a_customer_cannot_open_a_suspended_account() =>
        AccountDecider.Decide(null, Open(Alice, AccountStatus.Suspended)).ShouldFailWith(ErrorKind.Forbidden, ErrorCodes.Forbidden);

    [Fact]
    public void nobody_opens_a_closed_account() =>
        AccountDecider.Decide(null, Open(Alice, AccountStatus.Closed)).ShouldFailWith(ErrorKind.Validation, ErrorCodes.ValidationFailed);

    [Fact]
    public void roles_that_own_nothing_cannot_open_accounts()
    {
        AccountDecider.Decide(null, Open(Auditor)).ShouldFailWith(ErrorKind.Forbidden, ErrorCodes.Forbidden);
        AccountDecider.Decide(null, Open(Support)).ShouldFailWith(ErrorKind.Forbidden, ErrorCodes.Forbidden);
    }

    [Fact]
    public void a_partner_opens_accounts_too()
    {
        var partner = new Actor("shop", new HashSet<Role> { Role.Partner });
        AccountDecider.Decide(null, Open(partner)).Events.Should().ContainSingle();
    }
}
