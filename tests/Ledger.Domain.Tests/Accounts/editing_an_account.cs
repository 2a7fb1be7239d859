using Ledger.Domain.Accounts;
using Ledger.Domain.Common;
using static Ledger.Domain.Tests.Accounts.AccountSpec;

namespace Ledger.Domain.Tests.Accounts;

public class editing_an_account
{
    [Fact]
    public void each_changed_field_is_its_own_event_in_a_fixed_order()
    {
        var decision = Given(Opened(), Patch(Alice, username: "alice2", name: "Alice L.", email: "al@example.com"));
        decision.Events.Select(e => e.GetType()).Should().Equal(
            typeof(AccountUsernameChanged), typeof(AccountNameChanged), typeof(AccountEmailChanged));
        decision.Events.OfType<AccountUsernameChanged>().Single().PreviousUsername.Should().Be("alice");
    }

    [Fact]
    public void unchanged_fields_produce_no_events()
    {
        var decision = Given(Opened(), Patch(Alice, username: "alice", name: "Alice Liddell", email: "alice@example.com", status: AccountStatus.Active));
        decision.Error.Should().BeNull();
        decision.Events.Should().BeEmpty();
    }

    [Fact]
    public void every_event_moves_the_version_by_one()
    {
        var history = new List<AccountEvent> { Opened() };
        history.AddRange(Given(history, Patch(Alice, name: "A", email: "a@example.com")).Events);
        AccountDecider.Fold(history)!.Version.Should().Be(3);
    }

    [Fact]
    public void someone_elses_account_is_not_found() =>
        Given(Opened(), Patch(Mallory, name: "Mallory")).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Fact]
    public void support_may_edit_any_account() =>
        Given(Opened(), Patch(Support, name: "Alice Pleasance Liddell")).Events.Should().ContainSingle().Which.Should().BeOfType<AccountNameChanged>();

    [Fact]
    public void an_account_that_does_not_exist_is_not_found() =>
        AccountDecider.Decide(null, Patch(Alice, name: "x")).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);
}
