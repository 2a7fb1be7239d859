using Ledger.Domain.Accounts;
using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using static Ledger.Domain.Tests.Payments.MoneySpec;

namespace Ledger.Domain.Tests.Payments;

public class withdrawing_money
{
    [Fact]
    public void moves_the_amount_from_the_accounts_available_balance_to_settlement()
    {
        var decision = MoneyDecider.Decide(Alices(Usd(1_000)), Withdraw(AliceAccount, Usd(400)));

        var withdrawn = decision.Events.Should().ContainSingle().Which.Should().BeOfType<FundsWithdrawn>().Subject;
        withdrawn.Amount.Should().Be(400);
        withdrawn.Postings.Should().Equal(
            Leg(AliceAccount, Usd(-400)),
            Leg(SystemAccounts.Settlement, Usd(400)));
        Alices(Usd(1_000)).Given(decision.Events).BalanceIn("USD").Should().Be(new Balance(600, 0, 0));
    }

    [Fact]
    public void the_whole_available_balance_may_be_withdrawn() =>
        MoneyDecider.Decide(Alices(Usd(1_000)), Withdraw(AliceAccount, Usd(1_000))).ShouldSucceed();

    [Fact]
    public void more_than_is_available_is_refused_with_no_events() =>
        MoneyDecider.Decide(Alices(Usd(1_000)), Withdraw(AliceAccount, Usd(1_001)))
            .ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.InsufficientFunds);

    [Fact]
    public void money_in_another_currency_does_not_count() =>
        MoneyDecider.Decide(Alices(Jpy(1_000_000)), Withdraw(AliceAccount, Usd(1)))
            .ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.InsufficientFunds);

    [Fact]
    public void money_reserved_by_a_payment_under_review_cannot_be_withdrawn()
    {
        var alice = Alices(Usd(1_000));
        var review = alice.PaysInShard(Bobs(), Payment(AliceAccount, BobAccount, Usd(800)), Rules(reviewAbove: 500));
        var reserved = alice.Given(review.Events);
        reserved.BalanceIn("USD").Should().Be(new Balance(200, 800, 0));

        MoneyDecider.Decide(reserved, Withdraw(AliceAccount, Usd(201))).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.InsufficientFunds);
        MoneyDecider.Decide(reserved, Withdraw(AliceAccount, Usd(200))).ShouldSucceed();
    }

    [Fact]
    public void from_someone_elses_account_is_not_found() =>
        MoneyDecider.Decide(Bobs(Usd(1_000)), Withdraw(BobAccount, Usd(100), Alice)).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Fact]
    public void from_an_account_that_does_not_exist_is_not_found() =>
        MoneyDecider.Decide(null, Withdraw(AliceAccount, Usd(100))).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Theory]
    [InlineData(AccountStatus.Suspended)]
    [InlineData(AccountStatus.Closed)]
    public void from_an_account_that_is_not_active_breaks_a_rule_even_with_money_on_it(AccountStatus status) =>
        MoneyDecider.Decide(Funded(AliceAccount, status: status, deposits: Usd(1_000)), Withdraw(AliceAccount, Usd(100)))
            .ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.AccountNotActive);
}
