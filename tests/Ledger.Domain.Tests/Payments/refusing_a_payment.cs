using Ledger.Domain.Accounts;
using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using static Ledger.Domain.Tests.Payments.MoneySpec;

namespace Ledger.Domain.Tests.Payments;

public class refusing_a_payment
{
    private static readonly AccountFunds Payer = Alices(Usd(1_000));
    private static readonly AccountFunds Payee = Bobs();

    [Fact]
    public void from_someone_elses_account_is_not_found() =>
        Bobs(Usd(1_000)).PaysInShard(Payer, Payment(BobAccount, AliceAccount, Usd(100), Alice))
            .ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Fact]
    public void from_someone_elses_suspended_account_is_not_found_rather_than_revealing_its_status() =>
        Funded(BobAccount, "bob", AccountStatus.Suspended, Usd(1_000)).PaysInShard(Payer, Payment(BobAccount, AliceAccount, Usd(100), Alice))
            .ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Fact]
    public void from_an_account_that_does_not_exist_is_not_found() =>
        MoneyDecider.Decide(null, Payee.Snapshot(), Payee, NoLimits, Payment(AliceAccount, BobAccount, Usd(100)))
            .ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Fact]
    public void support_cannot_pay_from_a_customers_account() =>
        Payer.PaysInShard(Payee, Payment(AliceAccount, BobAccount, Usd(100), Support)).ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Fact]
    public void to_an_unknown_payee_is_not_found() =>
        MoneyDecider.Decide(Payer, null, null, NoLimits, Payment(AliceAccount, "acc_nobody", Usd(100)))
            .ShouldFailWith(ErrorKind.NotFound, ErrorCodes.NotFound);

    [Fact]
    public void to_the_same_account_breaks_a_rule() =>
        Payer.PaysInShard(Payer, Payment(AliceAccount, AliceAccount, Usd(100))).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.PaymentToSelf);

    [Fact]
    public void for_a_purpose_other_than_purchase_or_personal_is_invalid() =>
        Payer.PaysInShard(Payee, Payment(AliceAccount, BobAccount, Usd(100), purpose: "gift"))
            .ShouldFailWith(ErrorKind.Validation, ErrorCodes.ValidationFailed);

    [Fact]
    public void to_be_received_in_another_currency_is_not_supported() =>
        Alices(Usd(1_000), Jpy(1_000)).PaysInShard(Payee, Payment(AliceAccount, BobAccount, Usd(100), payeeCurrency: "JPY"))
            .ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.CurrencyNotSupported);

    [Theory]
    [InlineData(AccountStatus.Suspended)]
    [InlineData(AccountStatus.Closed)]
    public void from_an_account_that_is_not_active_breaks_a_rule(AccountStatus status) =>
        Funded(AliceAccount, "alice", status, Usd(1_000)).PaysInShard(Payee, Payment(AliceAccount, BobAccount, Usd(100)))
            .ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.AccountNotActive);

    [Theory]
    [InlineData(AccountStatus.Suspended)]
    [InlineData(AccountStatus.Closed)]
    public void to_a_payee_that_is_not_active_breaks_a_rule(AccountStatus status)
    {
        var payee = Funded(BobAccount, "bob", status);
        Payer.PaysInShard(payee, Payment(AliceAccount, BobAccount, Usd(100))).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.AccountNotActive);
        Payer.PaysAcrossShards(payee.Snapshot(), Payment(AliceAccount, BobAccount, Usd(100))).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.AccountNotActive);
    }

    [Fact]
    public void above_the_available_balance_is_refused_with_no_events_not_even_an_initiation() =>
        Payer.PaysInShard(Payee, Payment(AliceAccount, BobAccount, Usd(1_001))).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.InsufficientFunds);

    [Fact]
    public void money_in_another_currency_does_not_cover_it() =>
        Alices(Jpy(1_000_000)).PaysInShard(Payee, Payment(AliceAccount, BobAccount, Usd(1))).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.InsufficientFunds);

    [Fact]
    public void insufficient_funds_are_refused_before_risk_is_asked()
    {
        var risk = new CountingRisk();
        Payer.PaysInShard(Payee, Payment(AliceAccount, BobAccount, Usd(1_001)), risk).ShouldFailWith(ErrorKind.BusinessRule, ErrorCodes.InsufficientFunds);
        risk.Calls.Should().Be(0);
    }

    private sealed class CountingRisk : IRiskAssessor
    {
        public int Calls { get; private set; }

        public RiskDecision Assess(AccountFunds payer, PayeeSnapshot payee, Money.Money amount, DateTimeOffset now)
        {
            Calls++;
            return new RiskDecision(RiskOutcome.Approve, 0, [], "counting");
        }
    }
}
