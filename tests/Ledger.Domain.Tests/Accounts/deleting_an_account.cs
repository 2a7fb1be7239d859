using Ledger.Domain.Accounts;
using Ledger.Domain.Common;
using static Ledger.Domain.Tests.Accounts.AccountSpec;

namespace Ledger.Domain.Tests.Accounts;

public class deleting_an_account
{
    private static DeleteAccount Delete(Actor actor, params string[] blockers) => new(blockers, actor, T0.AddHours(1));

    [Fact]
    public void closes_then_erases_personal_data()
    {
        var decision = Given(Opened(), Delete(Alice));
        decision.Events.Select(e => e.GetType()).Should().Equal(typeof(AccountClosed), typeof(AccountPersonalDataErased));
        var state = AccountDecider.Fold([Opened(), .. decision.Events])!;
        state.Status.Should().Be(AccountStatus.Closed);
        state.PersonalDataErased.Should().BeTrue();
        state.Name.Should().Be(default(Protected), "not even ciphertext stays in the state");
        state.Email.Should().Be(default(Protected));
    }

    [Fact]
    public void an_already_closed_account_is_only_erased() =>
        Given([Opened(), new AccountClosed(Id, "alice", T0.AddMinutes(5))], Delete(Alice))
            .Events.Should().ContainSingle().Which.Should().BeOfType<AccountPersonalDataErased>();

    [Fact]
    public void an_erased_account_is_gone() =>
        Given([Opened(), new AccountClosed(Id, "alice", T0), new AccountPersonalDataErased(Id, "alice", T0)], Delete(Alice))
            .ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Fact]
    public void refused_while_a_balance_or_hold_remains() =>
        Given(Opened(), Delete(Alice, "EUR balance is 1.00")).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.AccountNotEmpty);

    [Fact]
    public void someone_elses_account_is_not_found() =>
        Given(Opened(), Delete(Mallory)).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);
}
