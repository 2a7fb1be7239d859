using Ledger.Domain.Accounts;
using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using static Ledger.Domain.Tests.Payments.MoneySpec;

namespace Ledger.Domain.Tests.Payments;

public class depositing_money
{
    [Fact]
    public void moves_the_amount_from_settlement_to_the_accounts_available_balance()
    {
        var decision = MoneyDecider.Decide(Alices(), Deposit(AliceAccount, Usd(1_250)));

        var deposited = decision.Events.Should().ContainSingle().Which.Should().BeOfType<FundsDeposited>().Subject;
        deposited.AccountId.Should().Be(AliceAccount);
        deposited.Amount.Should().Be(1_250);
        deposited.Currency.Should().Be("USD");
        deposited.Postings.Should().Equal(
            Leg(SystemAccounts.Settlement, Usd(-1_250)),
            Leg(AliceAccount, Usd(1_250)));
    }

    [Fact]
    public void the_account_then_holds_it_available_and_gets_one_history_entry()
    {
        var before = Alices(Usd(100));
        var after = before.Given(MoneyDecider.Decide(before, Deposit(AliceAccount, Usd(1_250))).Events);

        after.BalanceIn("USD").Should().Be(new Balance(1_350, 0, 0));
        after.EntryCount.Should().Be(before.EntryCount + 1);
    }

    [Fact]
    public void currencies_are_kept_apart()
    {
        var before = Alices(Usd(100));
        var after = before.Given(MoneyDecider.Decide(before, Deposit(AliceAccount, Jpy(5_000))).Events);

        after.BalanceIn("USD").Available.Should().Be(100);
        after.BalanceIn("JPY").Available.Should().Be(5_000);
    }

    [Fact]
    public void into_someone_elses_account_is_not_found() =>
        MoneyDecider.Decide(Bobs(), Deposit(BobAccount, Usd(100), Alice)).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Fact]
    public void into_an_account_that_does_not_exist_is_not_found() =>
        MoneyDecider.Decide(null, Deposit(AliceAccount, Usd(100))).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Fact]
    public void support_owns_no_account_so_it_cannot_deposit_either() =>
        MoneyDecider.Decide(Funded(AliceAccount, owner: "sam"), Deposit(AliceAccount, Usd(100), Support))
            .ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Theory]
    [InlineData(AccountStatus.Suspended)]
    [InlineData(AccountStatus.Closed)]
    public void into_an_account_that_is_not_active_breaks_a_rule(AccountStatus status) =>
        MoneyDecider.Decide(Account(AliceAccount, status: status), Deposit(AliceAccount, Usd(100)))
            .ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.AccountNotActive);
}
