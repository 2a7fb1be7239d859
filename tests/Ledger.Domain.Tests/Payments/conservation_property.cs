using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text;
using CsCheck;
using Ledger.Domain.Accounts;
using Ledger.Domain.Common;
using Ledger.Domain.Fx;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;

namespace Ledger.Domain.Tests.Payments;

/// <summary>
/// Random command sequences over a handful of accounts, decided by <see cref="MoneyDecider"/> and evolved into a model
/// of every account (customers and the system's own). After every step: each event's postings net to zero per
/// currency, all accounts together hold zero per currency, no customer bucket is negative, customers hold exactly
/// what was deposited minus what was withdrawn minus what is in transit, the fx position and fee revenue, and each
/// decision did what its outcome says. Conversions and cross-currency payments run at random rates and spreads, and
/// no conversion pays out more than its net amount is worth at the mid rate (rounding never gives value away).
/// </summary>
public class conservation_property
{
    private const string Actor = "alice";
    private const int Iterations = 400;
    private static readonly string[] AllCurrencies = ["USD", "JPY", "KWD"];
    private static readonly Actor Acting = new(Actor, new HashSet<Role> { Role.Customer });

    private sealed record Seed(bool Owned, AccountStatus Status);

    private sealed record Limits(long? MaxPerPayment, long? MaxPerDay, long? ReviewAbove);

    private abstract record Op;

    private sealed record DepositOp(int Account, int Currency, long Amount) : Op;

    private sealed record WithdrawOp(int Account, int Currency, long Amount) : Op;

    /// <summary>The payee is <paramref name="PayeeOffset"/> accounts after the payer (0: the payer itself), or nobody known.</summary>
    private sealed record PayOp(int Payer, int PayeeOffset, bool UnknownPayee, int Currency, long Amount, bool SameShard, bool OtherPayeeCurrency, bool OddPurpose) : Op;

    /// <summary>The payee's shard gets round to one payment in transit: it credits it, or refuses and it is reversed.</summary>
    private sealed record DeliverOp(int Pick) : Op;

    /// <summary>A conversion within one account at a quote (possibly expired, someone else's, or already used).</summary>
    private sealed record ConvertOp(int Account, int Sell, int BuyOffset, long Amount, bool ByBuyAmount, int QuoteAgeSeconds, bool OthersQuote, bool Reuse) : Op;

    /// <summary>Support suspends or reactivates an account (what makes a later cross-shard credit bounce).</summary>
    private sealed record StatusOp(int Account, AccountStatus Status) : Op;

    private sealed record Step(int Seconds, Op Op);

    private sealed record Scenario(Seed[] Accounts, string[] Currencies, Limits[] Limits, int? MaxPerMinute, RateTable Rates, decimal Spread, Step[] Steps)
    {
        public override string ToString()
        {
            var text = new StringBuilder();
            text.Append("accounts: ").AppendJoin(", ", Accounts.Select((a, i) => $"{i}={(a.Owned ? Actor : "bob")}/{a.Status}")).AppendLine();
            text.Append("currencies: ").AppendJoin(", ", Currencies.Select((c, i) => $"{c} {Limits[i]}")).Append(", per minute ").Append(MaxPerMinute?.ToString() ?? "-").AppendLine();
            text.Append("rates per EUR: ").AppendJoin(", ", Rates.PerBase.Select(r => $"{r.Key} {r.Value}")).Append(", spread ").Append(Spread).AppendLine();
            foreach (var step in Steps)
            {
                text.Append("  +").Append(step.Seconds).Append("s ").Append(step.Op).AppendLine();
            }

            return text.ToString();
        }
    }

    /// <summary>What the run saw, over all samples, so the test can tell it really explored every path.</summary>
    private sealed class Coverage
    {
        public static readonly string[] MustSee =
        [
            "deposited", "withdrawn", "approved in shard", "sent to payee", "reviewed", "rejected", "credited", "reversed",
            "insufficient funds", "refused: " + ErrorCodes.NotFound, "refused: " + ErrorCodes.AccountNotActive,
            "refused: " + ErrorCodes.PaymentToSelf, "refused: " + ErrorCodes.CurrencyNotSupported, "refused: " + ErrorCodes.ValidationFailed,
            "converted", "paid across currencies", "credited across currencies", "reversed across currencies",
            "refused: " + ErrorCodes.QuoteExpired, "refused: " + ErrorCodes.QuoteUsed,
        ];

        public ConcurrentDictionary<string, int> Seen { get; } = new();

        public void Count(string what) => Seen.AddOrUpdate(what, 1, (_, n) => n + 1);
    }

    private static readonly Gen<long> Amount = Gen.Frequency(
        (3, Gen.Long[1, 1_000]),
        (5, Gen.Long[1_000, 50_000]),
        (1, Gen.Long[50_000, 500_000]));

    private static readonly Gen<long?> Limit = Gen.Frequency(
        (1, Gen.Const((long?)null)),
        (1, Gen.Long[1_000, 100_000].Select(l => (long?)l)));

    private static readonly Gen<Op> Ops = Gen.Frequency<Op>(
        (4, Gen.Select(Gen.Int[0, 5], Gen.Int[0, 2], Amount.Select(a => a * 3), (a, c, m) => (Op)new DepositOp(a, c, m))),
        (2, Gen.Select(Gen.Int[0, 5], Gen.Int[0, 2], Amount, (a, c, m) => (Op)new WithdrawOp(a, c, m))),
        (8, Gen.Select(Gen.Int[0, 5], Gen.Frequency((1, Gen.Const(0)), (15, Gen.Int[1, 5])), Gen.Int[0, 29], Gen.Int[0, 2], Amount, Gen.Bool, Gen.Int[0, 5], Gen.Int[0, 29],
            (p, q, nobody, c, m, same, odd, purpose) => (Op)new PayOp(p, q, nobody == 0, c, m, same, odd == 0, purpose == 0))),
        (3, Gen.Int[0, 20].Select(i => (Op)new DeliverOp(i))),
        (3, Gen.Select(Gen.Int[0, 5], Gen.Int[0, 2], Gen.Int[1, 2], Amount, Gen.Bool, Gen.Frequency((6, Gen.Int[0, 29]), (1, Gen.Int[30, 90])), Gen.Int[0, 14], Gen.Int[0, 9],
            (a, sell, buy, m, byBuy, age, others, reuse) => (Op)new ConvertOp(a, sell, buy, m, byBuy, age, others == 0, reuse == 0))),
        (1, Gen.Select(Gen.Int[0, 5], Gen.Int[0, 2], (a, s) => (Op)new StatusOp(a, s == 0 ? AccountStatus.Suspended : AccountStatus.Active))));

    private static readonly Gen<int> Seconds = Gen.Frequency(
        (8, Gen.Int[0, 20]),
        (2, Gen.Int[20, 120]),
        (1, Gen.Int[3_600, 86_400]));

    private static readonly Gen<Scenario> Scenarios =
        from accounts in Gen.Select(Gen.Int[0, 9], Gen.Int[0, 9], (o, s) => new Seed(o < 8, s < 9 ? AccountStatus.Active : AccountStatus.Suspended)).Array[3, 6]
        from mask in Gen.Int[1, 7]
        from limits in Gen.Select(Limit, Limit, Limit, (p, d, r) => new Limits(p, d, r)).Array[3]
        from perMinute in Gen.Frequency((3, Gen.Const((int?)null)), (1, Gen.Int[1, 5].Select(i => (int?)i)))
        from usd in Gen.Decimal[0.8m, 1.4m]
        from jpy in Gen.Decimal[90m, 200m]
        from kwd in Gen.Decimal[0.25m, 0.45m]
        from spread in Gen.Frequency((1, Gen.Const(0m)), (4, Gen.Int[1, 200].Select(bp => bp / 10_000m)))
        from steps in Gen.Select(Seconds, Ops, (s, o) => new Step(s, o)).Array[1, 200]
        let currencies = AllCurrencies.Where((_, i) => ((mask >> i) & 1) == 1).ToArray()
        let rates = new RateTable("EUR", new Dictionary<string, decimal> { ["USD"] = decimal.Round(usd, 4), ["JPY"] = decimal.Round(jpy, 2), ["KWD"] = decimal.Round(kwd, 5) }, "test", MoneySpec.T0)
        select new Scenario(accounts, currencies, limits.Take(currencies.Length).ToArray(), perMinute, rates, spread, steps);

    [Fact]
    public void money_is_neither_created_nor_destroyed()
    {
        var coverage = new Coverage();
        Scenarios.Sample(s => Run(s, coverage), iter: Iterations, print: s => s.ToString());

        coverage.Seen.Keys.Should().Contain(Coverage.MustSee, "every path should have been explored: {0}", string.Join(", ", coverage.Seen));
    }

    [Fact]
    public void the_checks_catch_money_appearing_from_nowhere()
    {
        // A decider fault injected between deciding and evolving: a deposit that credits the customer twice.
        static MoneyEvent Fault(MoneyEvent e) => e is FundsDeposited d ? d with { Legs = [.. d.Legs, d.Legs[1]] } : e;
        var run = () => Scenarios.Sample(s => Run(s, new Coverage(), Fault), iter: 50);
        run.Should().Throw<CsCheckException>().WithInnerException<InvalidOperationException>().WithMessage("*postings net to zero*");
    }

    [Fact]
    public void the_checks_catch_a_rejection_that_forgets_to_release_the_reserve()
    {
        static MoneyEvent Fault(MoneyEvent e) => e is PaymentRejected r ? r with { Legs = [] } : e;
        var run = () => Scenarios.Sample(s => Run(s, new Coverage(), Fault), iter: 100);
        run.Should().Throw<CsCheckException>().WithInnerException<InvalidOperationException>().WithMessage("*rejected payment leaves every balance as it was*");
    }

    [Fact]
    public void the_checks_catch_a_conversion_that_pays_out_more_than_its_price()
    {
        // Balanced per currency, so double entry alone would not see it: one more minor unit out of the fx account.
        static MoneyEvent Fault(MoneyEvent e) => e is FundsConverted c
            ? c with { Legs = [.. c.Legs.Select(p => p.Account == SystemAccounts.Fx && p.Amount < 0 ? p with { Amount = p.Amount - 1 } : p.Account == c.AccountId && p.Amount > 0 ? p with { Amount = p.Amount + 1 } : p)] }
            : e;
        var run = () => Scenarios.Sample(s => Run(s, new Coverage(), Fault), iter: 200);
        run.Should().Throw<CsCheckException>().WithInnerException<InvalidOperationException>().WithMessage("*conversion moves sell out and buy in*");
    }

    /// <summary>Plays one scenario, checking the properties after every step. Throws on the first violation.</summary>
    private static void Run(Scenario scenario, Coverage coverage, Func<MoneyEvent, MoneyEvent>? fault = null)
    {
        var world = new World(scenario, fault ?? (e => e));
        var now = MoneySpec.T0;
        var n = 0;
        foreach (var step in scenario.Steps)
        {
            now = now.AddSeconds(step.Seconds);
            try
            {
                coverage.Count(world.Play(step.Op, now, $"op{n}"));
                world.CheckInvariants();
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidOperationException($"At step {n} ({step.Op}): {e.Message}", e);
            }

            n++;
        }
    }

    /// <summary>A payment between shards: <paramref name="Amount"/> left the payer, <paramref name="Settled"/> is in transit.</summary>
    private sealed record InFlight(string PaymentId, string Payer, string Payee, Money.Money Amount, Money.Money Settled, FxPrice? Price);

    private sealed class World
    {
        private readonly string[] ids;
        private readonly string[] currencies;
        private readonly IRiskAssessor risk;
        private readonly Func<MoneyEvent, MoneyEvent> fault;
        private readonly Dictionary<string, AccountFunds> accounts = [];
        private readonly Dictionary<(string Account, string Currency), long> posted = [];
        private readonly Dictionary<string, long> deposited = [];
        private readonly Dictionary<string, long> withdrawn = [];
        private readonly List<InFlight> inFlight = [];
        private readonly Dictionary<string, FxQuote> quotes = [];
        private readonly RateTable rates;
        private readonly decimal spread;

        public World(Scenario s, Func<MoneyEvent, MoneyEvent> fault)
        {
            this.fault = fault;
            currencies = s.Currencies;
            rates = s.Rates;
            spread = s.Spread;
            ids = s.Accounts.Select((_, i) => $"acc_{i}").ToArray();
            for (var i = 0; i < ids.Length; i++)
            {
                accounts[ids[i]] = MoneySpec.Account(ids[i], s.Accounts[i].Owned ? Actor : "bob", s.Accounts[i].Status);
            }

            accounts[SystemAccounts.Settlement] = MoneySpec.Account(SystemAccounts.Settlement, "system");
            accounts[SystemAccounts.Transit] = MoneySpec.Account(SystemAccounts.Transit, "system");
            accounts[SystemAccounts.Fx] = MoneySpec.Account(SystemAccounts.Fx, "system");
            accounts[SystemAccounts.Fees] = MoneySpec.Account(SystemAccounts.Fees, "system");

            static Dictionary<string, long> Of(string[] currencies, Limits[] limits, Func<Limits, long?> pick) =>
                currencies.Zip(limits).Where(x => pick(x.Second) is not null).ToDictionary(x => x.First, x => pick(x.Second)!.Value);
            risk = new RulesRiskAssessor(new RiskPolicy(
                Of(s.Currencies, s.Limits, l => l.MaxPerPayment),
                Of(s.Currencies, s.Limits, l => l.MaxPerDay),
                Of(s.Currencies, s.Limits, l => l.ReviewAbove),
                s.MaxPerMinute));
        }

        public string Play(Op op, DateTimeOffset now, string id) => op switch
        {
            DepositOp d => Deposit(d, now, id),
            WithdrawOp w => Withdraw(w, now, id),
            PayOp p => Pay(p, now, id),
            DeliverOp d => Deliver(d, now),
            ConvertOp c => Convert(c, now, id),
            StatusOp s => SetStatus(s),
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };

        private string Deposit(DepositOp d, DateTimeOffset now, string id)
        {
            var (account, money) = (accounts[Id(d.Account)], MoneyIn(d.Currency, d.Amount));
            var decision = MoneyDecider.Decide(account, new Deposit(id, account.Id, money, "ref", Acting, now));
            if (decision.IsError)
            {
                return Refused(decision);
            }

            Allowed(account, "deposit");
            Apply(decision);
            deposited[money.Currency] = deposited.GetValueOrDefault(money.Currency) + money.Minor;
            return "deposited";
        }

        private string Withdraw(WithdrawOp w, DateTimeOffset now, string id)
        {
            var (account, money) = (accounts[Id(w.Account)], MoneyIn(w.Currency, w.Amount));
            var decision = MoneyDecider.Decide(account, new Withdraw(id, account.Id, money, "ref", Acting, now));
            if (decision.IsError)
            {
                if (decision.Error!.Code == ErrorCodes.InsufficientFunds)
                {
                    Require(account.BalanceIn(money.Currency).Available < money.Minor, "insufficient funds only when they are");
                }

                return Refused(decision);
            }

            Allowed(account, "withdrawal");
            Require(account.BalanceIn(money.Currency).Available >= money.Minor, "a withdrawal is covered by the available balance");
            Apply(decision);
            withdrawn[money.Currency] = withdrawn.GetValueOrDefault(money.Currency) + money.Minor;
            return "withdrawn";
        }

        private string Pay(PayOp p, DateTimeOffset now, string id)
        {
            var payer = accounts[Id(p.Payer)];
            var offset = p.PayeeOffset == 0 ? 0 : 1 + ((p.PayeeOffset - 1) % (ids.Length - 1));
            var payeeId = p.UnknownPayee ? "acc_nobody" : Id((p.Payer % ids.Length) + offset);
            var payee = accounts.GetValueOrDefault(payeeId);
            var money = MoneyIn(p.Currency, p.Amount);
            var payeeCurrency = p.OtherPayeeCurrency ? currencies.Concat(AllCurrencies).First(c => c != money.Currency) : money.Currency;
            // Across currencies the API prices the payment from current rates; now and then there is no price (no rate).
            var price = payeeCurrency != money.Currency && p.Amount % 7 != 0 ? FxPricing.ForSellAmount(rates, money, payeeCurrency, spread) : null;
            if (price is not null && (price.BuyAmount.Minor <= 0 || price.NetSell <= 0))
            {
                price = null; // the API refuses amounts too small to convert
            }

            var command = new Pay(id, payer.Id, payeeId, money, payeeCurrency, p.OddPurpose ? "gift" : MoneyDecider.Purchase, null, null, Acting, now,
                SpotPrice: price, SpotRateSource: price is null ? null : "test");
            var decision = MoneyDecider.Decide(payer, payee is null ? null : new PayeeSnapshot(payee.Id, payee.Status), p.SameShard ? payee : null, risk, command);
            if (decision.IsError)
            {
                if (decision.Error!.Code == ErrorCodes.InsufficientFunds)
                {
                    Require(payer.BalanceIn(money.Currency).Available < money.Minor, "insufficient funds only when they are");
                }

                return Refused(decision);
            }

            // Nothing that breaks a rule gets through.
            Allowed(payer, "payment");
            Require(payee is not null, "an unknown payee is refused");
            Require(payee!.Status == AccountStatus.Active, "an inactive payee is refused");
            Require(payee.Id != payer.Id, "a payment to self is refused");
            Require(payeeCurrency == money.Currency || price is not null, "a payment across currencies without a price is refused");
            Require(p.OddPurpose is false, "a purpose other than purchase or personal is refused");
            Require(payer.BalanceIn(money.Currency).Available >= money.Minor, "a payment is covered by the available balance");

            var types = string.Join(", ", decision.Events.Select(e => e.GetType().Name)).Replace("PaymentConversionPriced, ", string.Empty, StringComparison.Ordinal);
            var outcome = decision.Events.OfType<PaymentRiskAssessed>().Single().Outcome;
            var before = Snapshot();
            Apply(decision);
            var after = Snapshot();
            var c = money.Currency;
            var a = money.Minor;
            var (b, bc) = price is null ? (a, c) : (price.BuyAmount.Minor, price.BuyAmount.Currency);
            if (price is not null)
            {
                CheckRounding(price);
            }

            switch (outcome)
            {
                case RiskOutcome.Reject:
                    Require(types == "PaymentInitiated, PaymentFundsReserved, PaymentRiskAssessed, PaymentRejected", () => $"a rejection is decided as such, not {types}");
                    RequireChanges(before, after, "a rejected payment leaves every balance as it was");
                    return "rejected";
                case RiskOutcome.Review:
                    Require(types == "PaymentInitiated, PaymentFundsReserved, PaymentRiskAssessed", () => $"a payment under review waits, not {types}");
                    RequireChanges(before, after, "the amount waits in the payer's pending", (payer.Id, c, new Balance(-a, a, 0)));
                    return "reviewed";
                case RiskOutcome.Approve when p.SameShard:
                    Require(types == "PaymentInitiated, PaymentFundsReserved, PaymentRiskAssessed, PaymentCompleted", () => $"an approval in the shard completes, not {types}");
                    RequireChanges(before, after, "the amount moves to the payee", [(payer.Id, c, new Balance(-a, 0, 0)), (payee.Id, bc, new Balance(b, 0, 0)), .. FxChanges(price)]);
                    return price is null ? "approved in shard" : "paid across currencies";
                default:
                    Require(types == "PaymentInitiated, PaymentFundsReserved, PaymentRiskAssessed, PaymentSentToPayee", () => $"an approval across shards goes to transit, not {types}");
                    RequireChanges(before, after, "the amount moves to transit", [(payer.Id, c, new Balance(-a, 0, 0)), (SystemAccounts.Transit, bc, new Balance(b, 0, 0)), .. FxChanges(price)]);
                    inFlight.Add(new InFlight(id, payer.Id, payee.Id, money, new Money.Money(b, bc), price));
                    return price is null ? "sent to payee" : "paid across currencies";
            }
        }

        private string Deliver(DeliverOp d, DateTimeOffset now)
        {
            if (inFlight.Count == 0)
            {
                return "nothing in flight";
            }

            var payment = inFlight[d.Pick % inFlight.Count];
            inFlight.Remove(payment);
            var payee = accounts[payment.Payee];
            var credit = MoneyDecider.Decide(payee, new CreditPayee(payment.PaymentId, payment.Payee, payment.Settled, now));
            Require(credit.Error is null && credit.Events.Count == 1, "a credit is always decided, one way or the other");
            var (currency, minor) = (payment.Settled.Currency, payment.Settled.Minor);
            if (payee.Status == AccountStatus.Active)
            {
                Require(credit.Events[0] is PaymentCompleted, () => $"an active payee takes the credit, not {credit.Events[0]}");
                var before = Snapshot();
                Apply(credit);
                RequireChanges(before, Snapshot(), "the credit moves transit to the payee",
                    (SystemAccounts.Transit, currency, new Balance(-minor, 0, 0)), (payment.Payee, currency, new Balance(minor, 0, 0)));
                return payment.Price is null ? "credited" : "credited across currencies";
            }

            Require(credit.Events[0] is PaymentCreditRefused, () => $"an inactive payee refuses the credit, not {credit.Events[0]}");
            var beforeRefusal = Snapshot();
            Apply(credit);
            RequireChanges(beforeRefusal, Snapshot(), "a refusal moves nothing");
            var reverse = MoneyDecider.Decide(new ReversePayment(payment.PaymentId, payment.Payer, payment.Amount, ((PaymentCreditRefused)credit.Events[0]).Reason, now, payment.Price));
            Require(reverse.Events is [PaymentReversed], "a reversal is always decided");
            var beforeReverse = Snapshot();
            Apply(reverse);
            RequireChanges(beforeReverse, Snapshot(), "the reversal moves transit back to the payer, in full",
                [(SystemAccounts.Transit, currency, new Balance(-minor, 0, 0)), (payment.Payer, payment.Amount.Currency, new Balance(payment.Amount.Minor, 0, 0)),
                 .. FxChanges(payment.Price).Select(x => (x.Account, x.Currency, new Balance(-x.Change.Available, 0, 0)))]);
            return payment.Price is null ? "reversed" : "reversed across currencies";
        }

        private string Convert(ConvertOp c, DateTimeOffset now, string id)
        {
            var account = accounts[Id(c.Account)];
            var sell = currencies[c.Sell % currencies.Length];
            var buy = AllCurrencies[(Array.IndexOf(AllCurrencies, sell) + c.BuyOffset) % AllCurrencies.Length];
            var price = c.ByBuyAmount
                ? FxPricing.ForBuyAmount(rates, sell, new Money.Money(c.Amount, buy), spread)
                : FxPricing.ForSellAmount(rates, new Money.Money(c.Amount, sell), buy, spread);
            Require(price is not null, "every pair of these currencies has a price");
            if (price!.BuyAmount.Minor <= 0 || price.NetSell <= 0)
            {
                return "too small to convert"; // refused by the API before a quote exists
            }

            CheckRounding(price);
            var reused = c.Reuse && quotes.Count > 0;
            var quote = reused
                ? quotes.Values.ElementAt(c.Account % quotes.Count)
                : new FxQuote($"quo_{id}", c.OthersQuote ? "bob" : Actor, null, price, "test", now.AddSeconds(-c.QuoteAgeSeconds), now.AddSeconds(30 - c.QuoteAgeSeconds), null);
            var decision = MoneyDecider.Decide(account, quote, new ConvertFunds(id, account.Id, quote.Id, Acting, now));
            if (decision.IsError)
            {
                var code = decision.Error!.Code;
                Require(code != ErrorCodes.QuoteUsed || quote.UsedBy is not null, "quote_used only for a used quote");
                Require(code != ErrorCodes.QuoteExpired || now >= quote.ExpiresAt, "quote_expired only past expiry");
                Require(code != ErrorCodes.InsufficientFunds || account.BalanceIn(quote.Price.SellAmount.Currency).Available < quote.Price.SellAmount.Minor, "insufficient funds only when they are");
                quotes[quote.Id] = quote;
                return Refused(decision);
            }

            Allowed(account, "conversion");
            Require(quote.Owner == Actor && quote.UsedBy is null && now < quote.ExpiresAt, "only a live, unused quote of the caller converts");
            var p = quote.Price;
            var before = Snapshot();
            Apply(decision);
            var changes = new List<(string, string, Balance)>
            {
                (account.Id, p.SellAmount.Currency, new Balance(-p.SellAmount.Minor, 0, 0)),
                (account.Id, p.BuyAmount.Currency, new Balance(p.BuyAmount.Minor, 0, 0)),
            };
            changes.AddRange(FxChanges(p));
            RequireChanges(before, Snapshot(), "a conversion moves sell out and buy in through the fx account", [.. changes]);
            quotes[quote.Id] = quote with { UsedBy = id };
            return "converted";
        }

        /// <summary>What a priced conversion does to the fx account and fee revenue.</summary>
        private static (string Account, string Currency, Balance Change)[] FxChanges(FxPrice? price) =>
            price is null
                ? []
                : [.. new (string Account, string Currency, Balance Change)[]
                    {
                        (SystemAccounts.Fx, price.SellAmount.Currency, new Balance(price.NetSell, 0, 0)),
                        (SystemAccounts.Fees, price.SellAmount.Currency, new Balance(price.Fee, 0, 0)),
                        (SystemAccounts.Fx, price.BuyAmount.Currency, new Balance(-price.BuyAmount.Minor, 0, 0)),
                    }.Where(x => !x.Change.IsZero)];

        /// <summary>Rounding never gives value away: the buy amount is at most the net sell amount at the mid rate.</summary>
        private static void CheckRounding(FxPrice price)
        {
            var worth = price.NetSell * price.MidRate * Money.Currencies.Get(price.BuyAmount.Currency).Factor / Money.Currencies.Get(price.SellAmount.Currency).Factor;

            Require(price.BuyAmount.Minor <= worth, () => $"rounding gives no value away: {price.BuyAmount} for {price.NetSell} at {price.MidRate}");
            Require(price.Fee >= 0 && price.Fee <= price.SellAmount.Minor, "the fee is part of the sell amount");
        }

        private string SetStatus(StatusOp s)
        {
            var id = Id(s.Account);
            accounts[id] = accounts[id] with { Status = s.Status };
            return "status changed";
        }

        private static string Refused(Decision<MoneyEvent> decision)
        {
            Require(decision.Events.Count == 0, "a refused command decides no events");
            return decision.Error!.Code == ErrorCodes.InsufficientFunds ? "insufficient funds" : "refused: " + decision.Error.Code;
        }

        private static void Allowed(AccountFunds account, string what)
        {
            Require(account.Owner == Actor, () => $"a {what} on an account the actor does not own is refused");
            Require(account.Status == AccountStatus.Active, () => $"a {what} on an inactive account is refused");
        }

        /// <summary>
        /// Evolves every account the model knows (not only those the postings touch, so that an event leaking into an
        /// unrelated account would show) through every event, and keeps an independent sum of postings.
        /// </summary>
        private void Apply(Decision<MoneyEvent> decision)
        {
            foreach (var decided in decision.Events)
            {
                var e = fault(decided);
                foreach (var group in e.Postings.GroupBy(p => p.Currency))
                {
                    Require(group.Sum(p => p.Amount) == 0, () => $"every event's postings net to zero per currency: {e.GetType().Name} [{string.Join(", ", e.Postings)}]");
                }

                foreach (var posting in e.Postings)
                {
                    Require(accounts.ContainsKey(posting.Account), () => $"postings only touch accounts that exist, not {posting}");
                    posted[(posting.Account, posting.Currency)] = posted.GetValueOrDefault((posting.Account, posting.Currency)) + posting.Amount;
                }

                var touched = e.Postings.Select(p => p.Account).ToHashSet();
                foreach (var id in accounts.Keys.ToList())
                {
                    var before = accounts[id];
                    var after = MoneyDecider.Evolve(before, e);
                    if (!touched.Contains(id))
                    {
                        Require(after.Balances.Count == before.Balances.Count && after.Balances.All(b => before.BalanceIn(b.Key) == b.Value),
                            () => $"{e.GetType().Name} does not touch {id}");
                    }

                    var changedTotals = currencies.Concat(AllCurrencies).Distinct().Count(c => after.BalanceIn(c).Total != before.BalanceIn(c).Total);
                    Require(after.EntryCount - before.EntryCount == changedTotals, () => $"one history entry per currency whose total changed ({e.GetType().Name} on {id})");
                    accounts[id] = after;
                }
            }
        }

        public void CheckInvariants()
        {
            foreach (var currency in AllCurrencies)
            {
                var all = accounts.Values.Sum(a => a.BalanceIn(currency).Total);
                Require(all == 0, () => $"all accounts together hold nothing in {currency}, not {all}");

                var customers = accounts.Values.Where(a => !SystemAccounts.IsSystem(a.Id)).Sum(a => a.BalanceIn(currency).Total);
                var transit = accounts[SystemAccounts.Transit].BalanceIn(currency).Total;
                var fx = accounts[SystemAccounts.Fx].BalanceIn(currency).Total + accounts[SystemAccounts.Fees].BalanceIn(currency).Total;
                var (inn, outt) = (deposited.GetValueOrDefault(currency), withdrawn.GetValueOrDefault(currency));
                Require(customers == inn - outt - transit - fx, () => $"customers hold deposits {inn} minus withdrawals {outt} minus transit {transit} minus fx and fees {fx} in {currency}, not {customers}");
                Require(accounts[SystemAccounts.Fees].BalanceIn(currency).Total >= 0, "fee revenue never goes negative");
                var flying = inFlight.Where(f => f.Settled.Currency == currency).Sum(f => f.Settled.Minor);
                Require(transit == flying, () => $"transit holds exactly the payments in flight ({flying} {currency}), not {transit}");
                Require(accounts[SystemAccounts.Settlement].BalanceIn(currency).Total == outt - inn, () => $"settlement is the outside world's side of deposits and withdrawals in {currency}");
            }

            foreach (var account in accounts.Values)
            {
                foreach (var (currency, balance) in account.Balances)
                {
                    Require(balance.Total == posted.GetValueOrDefault((account.Id, currency)), () => $"the {currency} balance of {account.Id} is the sum of its postings");
                    if (!SystemAccounts.IsSystem(account.Id))
                    {
                        Require(balance is { Available: >= 0, Pending: >= 0, Held: >= 0 }, () => $"no customer bucket is negative: {account.Id} {currency} {balance}");
                    }
                }
            }
        }

        private static void Require(bool condition, string what)
        {
            if (!condition)
            {
                throw new InvalidOperationException("Property violated: " + what);
            }
        }

        private static void Require(bool condition, Func<string> what)
        {
            if (!condition)
            {
                Require(condition, what());
            }
        }

        private static void RequireChanges(
            ImmutableDictionary<string, AccountFunds> before,
            ImmutableDictionary<string, AccountFunds> after,
            string what,
            params (string Account, string Currency, Balance Change)[] expected)
        {
            var actual = Changes(before, after);
            Require(actual.Count == expected.Length && expected.All(actual.Contains),
                () => $"{what}: expected changes [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
        }

        private ImmutableDictionary<string, AccountFunds> Snapshot() => accounts.ToImmutableDictionary();

        private static List<(string Account, string Currency, Balance Change)> Changes(
            ImmutableDictionary<string, AccountFunds> before, ImmutableDictionary<string, AccountFunds> after) =>
            [.. after.Values
                .SelectMany(a => a.Balances.Keys.Concat(before[a.Id].Balances.Keys).Distinct().Select(c =>
                {
                    var (was, @is) = (before[a.Id].BalanceIn(c), a.BalanceIn(c));
                    return (a.Id, c, new Balance(@is.Available - was.Available, @is.Pending - was.Pending, @is.Held - was.Held));
                }))
                .Where(x => !x.Item3.IsZero)];

        private string Id(int index) => ids[index % ids.Length];

        private Money.Money MoneyIn(int currency, long amount) => new(amount, currencies[currency % currencies.Length]);
    }
}
