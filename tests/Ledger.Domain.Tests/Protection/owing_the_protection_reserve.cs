using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Domain.Protection;
using static Ledger.Domain.Tests.Payments.MoneySpec;
using static Ledger.Domain.Tests.Protection.ProtectionSpec;

namespace Ledger.Domain.Tests.Protection;

/// <summary>
/// Bob had spent everything when Alice disputed her 100.00 USD purchase: the reserve covered the hold and Bob owes it
/// 100.00, repaid first from whatever comes in. Until then he cannot close his account.
/// </summary>
public class owing_the_protection_reserve
{
    private static readonly (AccountFunds Payee, PaymentFacts Payment, DisputeFacts Dispute, DisputeOpened Opened) Owing = Disputed(Bobs(), Purchase());

    private static readonly DateTimeOffset RepaidAt = Later.AddDays(1);

    /// <summary>Money comes in to Bob and repays the reserve first: the events, in order, and Bob afterwards.</summary>
    private static (List<MoneyEvent> Events, AccountFunds Payee) Receives(AccountFunds payee, long cents)
    {
        var events = new List<MoneyEvent> { Deposited(BobAccount, Usd(cents), "tx_in") };
        if (ProtectionDecider.Repay(payee.Given(events), "USD", RepaidAt) is { } repaid)
        {
            events.Add(repaid);
        }

        return (events, payee.Given(events));
    }

    [Fact]
    public void the_shortfall_is_owed_after_the_dispute_opens()
    {
        Owing.Payee.Owed.Should().Equal(new Dictionary<string, long> { ["USD"] = 10_000 });
        Owing.Payee.BalanceIn("USD").Should().Be(new Balance(0, 0, 10_000));
    }

    [Fact]
    public void incoming_funds_repay_what_is_owed_up_to_what_is_available()
    {
        var repaid = ProtectionDecider.Repay(Owing.Payee.Given([Deposited(BobAccount, Usd(4_000), "tx_in")]), "USD", RepaidAt);

        repaid.Should().BeEquivalentTo(new { AccountId = BobAccount, Amount = 4_000L, Currency = "USD", At = RepaidAt });
        repaid!.Postings.Should().Equal(Leg(BobAccount, Usd(-4_000)), Leg(Reserve, Usd(4_000)));
    }

    [Fact]
    public void a_partial_repayment_reduces_what_is_owed_and_takes_the_available_balance()
    {
        var (_, after) = Receives(Owing.Payee, 4_000);

        after.Owed.Should().Equal(new Dictionary<string, long> { ["USD"] = 6_000 });
        after.BalanceIn("USD").Should().Be(new Balance(0, 0, 10_000));
    }

    [Fact]
    public void incoming_funds_beyond_what_is_owed_stay_available_and_the_debt_is_gone()
    {
        var (events, after) = Receives(Owing.Payee, 12_500);

        events.OfType<ReceivableRepaid>().Should().ContainSingle().Which.Amount.Should().Be(10_000);
        after.Owed.Should().BeEmpty();
        after.BalanceIn("USD").Should().Be(new Balance(2_500, 0, 10_000));
    }

    [Fact]
    public void a_repayment_is_a_history_entry_of_its_own()
    {
        var (events, after) = Receives(Owing.Payee, 4_000);

        MoneyDecider.EntriesFor(BobAccount, events[^1]).Should().Equal(("USD", -4_000L));
        after.EntryCount.Should().Be(Owing.Payee.EntryCount + 2);
    }

    [Fact]
    public void an_account_that_owes_nothing_repays_nothing() =>
        ProtectionDecider.Repay(Bobs(Usd(5_000)), "USD", RepaidAt).Should().BeNull();

    [Fact]
    public void an_account_with_nothing_available_repays_nothing() =>
        ProtectionDecider.Repay(Owing.Payee, "USD", RepaidAt).Should().BeNull();

    [Fact]
    public void funds_in_another_currency_do_not_repay_a_dollar_debt() =>
        ProtectionDecider.Repay(Owing.Payee.Given([Deposited(BobAccount, Jpy(1_000_000), "tx_in")]), "JPY", RepaidAt).Should().BeNull();

    [Fact]
    public void a_repayment_nets_to_zero() =>
        Receives(Owing.Payee, 4_000).Events.OfType<ReceivableRepaid>().Single().ShouldNetToZeroInEachCurrency();

    [Fact]
    public void owing_adds_up_per_currency_and_disappears_at_zero()
    {
        var account = Bobs().Owe("USD", 700).Owe("JPY", 50).Owe("USD", 300);

        account.Owed.Should().Equal(new Dictionary<string, long> { ["USD"] = 1_000, ["JPY"] = 50 });
        account.Owe("USD", -1_000).Owed.Should().Equal(new Dictionary<string, long> { ["JPY"] = 50 });
    }

    [Fact]
    public void an_account_that_owes_the_reserve_may_not_close_even_with_every_balance_zero() =>
        Bobs().Owe("USD", 7_000).Owe("JPY", 50).ClosureBlockers().Should().Equal(
            "it owes the protection reserve 50 minor units of JPY",
            "it owes the protection reserve 7000 minor units of USD");

    [Fact]
    public void a_held_dispute_and_its_debt_both_block_closure() =>
        Owing.Payee.ClosureBlockers().Should().Equal(
            "the USD balance is not zero (available 0, pending 0, held 10000 minor units)",
            "it owes the protection reserve 10000 minor units of USD");

    [Fact]
    public void once_repaid_and_charged_back_nothing_blocks_closure()
    {
        var (_, repaid) = Receives(Owing.Payee, 10_000);
        var chargeback = repaid.Resolves(Owing.Payment, Owing.Dispute, Resolve("buyer")).Events;

        repaid.Given(chargeback).ClosureBlockers().Should().BeEmpty();
    }

    [Fact]
    public void found_for_the_seller_after_a_full_repayment_the_hold_goes_back_to_the_seller_not_again_to_the_reserve()
    {
        var (repayment, repaid) = Receives(Owing.Payee, 10_000);

        var resolved = repaid.Resolves(Owing.Payment, Owing.Dispute, Resolve("seller")).Only<DisputeResolved>();
        var after = repaid.Given([resolved]);

        resolved.ReceivableCancelled.Should().Be(0, "nothing is owed any more");
        resolved.Postings.Should().Equal(Leg(BobAccount, Usd(-10_000), Bucket.Held), Leg(BobAccount, Usd(10_000)));
        after.Owed.Should().BeEmpty();
        after.BalanceIn("USD").Should().Be(new Balance(10_000, 0, 0));
        new MoneyEvent[] { Owing.Opened }.Concat(repayment).Append(resolved).NetFor(Reserve, "USD").Should().Be(0, "the reserve is repaid once, not twice");
    }

    [Fact]
    public void found_for_the_seller_after_a_partial_repayment_the_reserve_gets_only_what_is_still_owed()
    {
        var (repayment, repaid) = Receives(Owing.Payee, 4_000);

        var resolved = repaid.Resolves(Owing.Payment, Owing.Dispute, Resolve("seller")).Only<DisputeResolved>();
        var after = repaid.Given([resolved]);

        resolved.ReceivableCancelled.Should().Be(6_000);
        resolved.Postings.Should().Equal(
            Leg(BobAccount, Usd(-4_000), Bucket.Held),
            Leg(BobAccount, Usd(4_000)),
            Leg(BobAccount, Usd(-6_000), Bucket.Held),
            Leg(Reserve, Usd(6_000)));
        after.Owed.Should().BeEmpty();
        after.BalanceIn("USD").Should().Be(new Balance(4_000, 0, 0));
        new MoneyEvent[] { Owing.Opened }.Concat(repayment).Append(resolved).NetFor(Reserve, "USD").Should().Be(0);
    }

    [Fact]
    public void a_seller_who_has_repaid_the_reserve_is_protected_and_keeps_the_money_he_repaid_with()
    {
        var owing = Disputed(Bobs(), Purchase(), DisputeReasons.Unauthorized);
        var (repayment, repaid) = Receives(owing.Payee, 10_000);

        var resolved = repaid.Resolves(owing.Payment, owing.Dispute, Resolve("buyer")).Only<DisputeResolved>();
        var after = repaid.Given([resolved]);

        resolved.SellerProtected.Should().BeTrue();
        after.Owed.Should().BeEmpty();
        after.BalanceIn("USD").Should().Be(new Balance(10_000, 0, 0));
        Alices().Given([resolved]).BalanceIn("USD").Should().Be(new Balance(10_000, 0, 0));
        new MoneyEvent[] { owing.Opened }.Concat(repayment).Append(resolved).NetFor(Reserve, "USD").Should().Be(-10_000, "the reserve pays the buyer once");
    }
}
