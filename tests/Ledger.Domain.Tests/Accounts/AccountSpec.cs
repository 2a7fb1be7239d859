using Ledger.Domain.Accounts;
using Ledger.Domain.Common;

namespace Ledger.Domain.Tests.Accounts;

/// <summary>Given(events) / When(command) / Then(events | error), no database (CONVENTIONS rule 8).</summary>
public static class AccountSpec
{
    public const string Id = "acc_0000000000000000000000000000000a";
    public static readonly DateTimeOffset T0 = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    public static readonly Actor Alice = new("alice", new HashSet<Role> { Role.Customer });
    public static readonly Actor Mallory = new("mallory", new HashSet<Role> { Role.Customer });
    public static readonly Actor Support = new("sam", new HashSet<Role> { Role.Support });
    public static readonly Actor Auditor = new("audrey", new HashSet<Role> { Role.Auditor });

    public static Protected Sealed(string value) => new("cipher:" + value, "fp:" + value);

    public static AccountOpened Opened(AccountStatus status = AccountStatus.Active) =>
        new(Id, "alice", "alice", Sealed("Alice Liddell"), Sealed("alice@example.com"), status, T0);

    public static UpdateAccount Patch(Actor actor, string? username = null, string? name = null, string? email = null, AccountStatus? status = null, params string[] blockers) =>
        new(username, name is null ? null : Sealed(name), email is null ? null : Sealed(email), status, blockers, actor, T0.AddMinutes(1));

    public static Decision<AccountEvent> Given(IEnumerable<AccountEvent> history, AccountCommand when) =>
        AccountDecider.Decide(AccountDecider.Fold(history), when);

    public static Decision<AccountEvent> Given(AccountEvent single, AccountCommand when) => Given([single], when);

    public static void ShouldFailWith(this Decision<AccountEvent> decision, ErrorKind kind, string code)
    {
        decision.Error.Should().NotBeNull("the command should have been refused");
        decision.Error!.Kind.Should().Be(kind);
        decision.Error.Code.Should().Be(code);
        decision.Events.Should().BeEmpty();
    }
}
