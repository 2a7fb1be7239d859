using CsCheck;
using Ledger.Domain.Accounts;
using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Domain.Protection;
using static Ledger.Domain.Tests.Payments.MoneySpec;
using static Ledger.Domain.Tests.Protection.ProtectionSpec;

namespace Ledger.Domain.Tests.Protection;

/// <summary>
/// Random refunds, disputes, resolutions, spending and income on one purchase (same or cross currency), decided by
/// <see cref="ProtectionDecider"/> and evolved into Alice's and Bob's funds, the payment's and the dispute's records as
/// the projections keep them. After every step: each event nets to zero per currency; Bob's buckets and debt never go
/// negative; what he holds is the open dispute's amount; the reserve is out exactly what seller protection paid plus
/// what Bob still owes it; Alice has back exactly the payment's rate applied to everything given back, rounded down
/// once over the whole, and never more than she paid.
/// </summary>
public class protection_conservation_property
{
    private abstract record Op;

    private sealed record RefundOp(long? Amount, bool BySupport) : Op;

    private sealed record DisputeOp(int Reason) : Op;

    private sealed record ResolveOp(bool ForBuyer) : Op;

    private sealed record SpendOp(long Amount) : Op;

    private sealed record IncomeOp(long Amount) : Op;

    private sealed record Scenario(long Paid, long Settled, bool CrossCurrency, long Balance, int RiskScore, Op[] Ops)
    {
        public override string ToString() =>
            $"paid {Paid} USD, settled {Settled} {(CrossCurrency ? "JPY" : "USD")}, payee had {Balance}, risk {RiskScore}: {string.Join("; ", Ops.Select(o => o.ToString()))}";
    }

    private static readonly Gen<Op> Ops = Gen.Frequency<Op>(
        (4, Gen.Select(Gen.Frequency((1, Gen.Const((long?)null)), (4, Gen.Long[-5, 20_000].Select(a => (long?)a))), Gen.Bool, (a, s) => (Op)new RefundOp(a, s))),
        (3, Gen.Int[0, 2].Select(r => (Op)new DisputeOp(r))),
        (3, Gen.Bool.Select(b => (Op)new ResolveOp(b))),
        (2, Gen.Long[1, 20_000].Select(a => (Op)new SpendOp(a))),
        (2, Gen.Long[1, 20_000].Select(a => (Op)new IncomeOp(a))));

    private static readonly Gen<Scenario> Scenarios =
        from paid in Gen.Long[1, 20_000]
        from cross in Gen.Bool
        from rate in Gen.Int[50, 250]
        from balance in Gen.Long[0, 40_000]
        from risk in Gen.Int[0, 10_000]
        from ops in Ops.Array[1, 40]
        select new Scenario(paid, cross ? Math.Max(1, paid * rate / 100) : paid, cross, balance, risk, ops);

    [Fact]
    public void money_given_back_is_conserved_whatever_the_order_of_refunds_disputes_and_resolutions() =>
        Scenarios.Sample(Run, iter: 500, print: s => s.ToString());

    private static void Run(Scenario s)
    {
        var currency = s.CrossCurrency ? "JPY" : "USD";
        var payment = Purchase(s.Paid) with { Settled = s.Settled, SettledCurrency = currency, RiskScoreBasisPoints = s.RiskScore };
        var payee = Funded(BobAccount, "bob", AccountStatus.Active, new Money.Money(s.Balance, currency));
        var payer = Alices();
        DisputeFacts? dispute = null;
        var events = new List<MoneyEvent>();
        long givenBack = 0, protectedPaid = 0;
        var n = 0;

        foreach (var op in s.Ops)
        {
            n++;
            var decision = op switch
            {
                RefundOp r => payee.Refunds(payment, new RefundPayment($"rfd_{n}", r.Amount, "returned", r.BySupport ? Support : Bob, Later)),
                DisputeOp d => payee.Disputes(payment, new OpenDispute($"dsp_{n}", Reasons[d.Reason], null, Alice, Later)),
                ResolveOp r => dispute is null ? default : payee.Resolves(payment, dispute, Resolve(r.ForBuyer ? "buyer" : "seller")),
                SpendOp sp => Math.Min(sp.Amount, payee.BalanceIn(currency).Available) is var a and > 0
                    ? MoneyDecider.Decide(payee, new Withdraw($"tx_{n}", BobAccount, new Money.Money(a, currency), "spent", Bob, Later))
                    : default,
                IncomeOp i => Decision<MoneyEvent>.Ok(Deposited(BobAccount, new Money.Money(i.Amount, currency), $"tx_{n}")),
                _ => throw new InvalidOperationException(op.ToString()),
            };
            var decided = (decision.Events ?? []).ToList();
            if (decision.Error is not null)
            {
                decided.Should().BeEmpty();
            }

            if (op is IncomeOp && ProtectionDecider.Repay(payee.Given(decided), currency, Later) is { } repaid)
            {
                decided.Add(repaid);
            }

            foreach (var e in decided)
            {
                e.ShouldNetToZeroInEachCurrency();
                payee = payee.Given([e]);
                payer = payer.Given([e]);
                events.Add(e);
                switch (e)
                {
                    case PaymentRefunded r:
                        givenBack += r.Amount;
                        payment = payment with { Refunded = r.RefundedTotal, Status = r.RefundedTotal >= payment.Settled ? ProtectionDecider.Refunded : ProtectionDecider.PartiallyRefunded };
                        break;
                    case DisputeOpened o:
                        payment = payment with { OpenDisputeId = o.DisputeId };
                        dispute = o.Facts();
                        break;
                    case DisputeResolved r:
                        givenBack += r.Outcome == "buyer" ? dispute!.FromPayee + dispute.FromReserve : 0;
                        protectedPaid += r.SellerProtected ? dispute!.FromPayee + dispute.FromReserve : 0;
                        // Once the buyer is paid back, by the seller or by the reserve, the payment takes no more refunds or disputes.
                        payment = payment with { OpenDisputeId = null, Status = r.Outcome == "buyer" ? "charged_back" : payment.Status };
                        dispute = dispute! with { Status = r.Outcome == "buyer" ? DisputeStatuses.ResolvedBuyer : DisputeStatuses.ResolvedSeller };
                        break;
                }
            }

            var bob = payee.BalanceIn(currency);
            bob.Available.Should().BeGreaterThanOrEqualTo(0);
            bob.Held.Should().Be(dispute is { Status: DisputeStatuses.Open } open ? open.FromPayee + open.FromReserve : 0);
            payee.Owed.Values.Should().NotContain(v => v <= 0, "a debt is positive or not recorded");
            (events.NetFor(Reserve, currency) + payee.Owed.GetValueOrDefault(currency)).Should().Be(-protectedPaid,
                "the reserve is out what it paid protected buyers and what the seller still owes it, nothing else");
            givenBack.Should().BeLessThanOrEqualTo(s.Settled);
            var returned = (long)((Int128)givenBack * s.Paid / s.Settled);
            payer.BalanceIn("USD").Should().Be(new Balance(returned, 0, 0));
            returned.Should().BeLessThanOrEqualTo(s.Paid);
        }
    }

    private static readonly string[] Reasons = [DisputeReasons.NotReceived, DisputeReasons.NotAsDescribed, DisputeReasons.Unauthorized];
}
