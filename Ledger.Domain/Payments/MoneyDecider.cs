using Ledger.Domain.Accounts;
using Ledger.Domain.Common;
using Ledger.Domain.Ledger;

namespace Ledger.Domain.Payments;

/// <summary>
/// Decides money movements against the in-memory state of the accounts involved, and evolves that state.
/// Pure: the engine passes in the accounts, the clock's reading and the risk assessor.
/// </summary>
public static class MoneyDecider
{
    public const string Purchase = "purchase";
    public const string Personal = "personal";

    public static Decision<MoneyEvent> Decide(AccountFunds? account, Deposit c)
    {
        if (MayMove(account, c.Actor, c.Amount) is { } refused)
        {
            return refused;
        }

        var legs = Postings.Move(c.Amount.Currency, c.Amount.Minor, SystemAccounts.Settlement, Bucket.Available, c.AccountId, Bucket.Available);
        return Decision<MoneyEvent>.Ok(new FundsDeposited(c.TransactionId, c.AccountId, c.Amount.Minor, c.Amount.Currency, c.Reference, Postings.AssertBalanced(legs), c.At));
    }

    public static Decision<MoneyEvent> Decide(AccountFunds? account, Withdraw c)
    {
        if (MayMove(account, c.Actor, c.Amount) is { } refused)
        {
            return refused;
        }

        if (account!.BalanceIn(c.Amount.Currency).Available < c.Amount.Minor)
        {
            return InsufficientFunds(c.Amount.Currency);
        }

        var legs = Postings.Move(c.Amount.Currency, c.Amount.Minor, c.AccountId, Bucket.Available, SystemAccounts.Settlement, Bucket.Available);
        return Decision<MoneyEvent>.Ok(new FundsWithdrawn(c.TransactionId, c.AccountId, c.Amount.Minor, c.Amount.Currency, c.Reference, Postings.AssertBalanced(legs), c.At));
    }

    /// <summary>
    /// The payer's side of a payment: checks, reserve, risk decision, and — when approved — completion (payee in the
    /// same shard, <paramref name="payeeInShard"/> given) or hand-off to transit (payee in another shard). Without a
    /// <paramref name="risk"/> assessor the payment stops at the reserve: the fraud pipeline's verdict decides it later. A payment
    /// received in another currency is converted at its quote's price (<paramref name="quote"/>, loaded by the engine
    /// for <see cref="Pay.QuoteId"/>) or at the price the API made from current rates (<see cref="Pay.SpotPrice"/>).
    /// </summary>
    public static Decision<MoneyEvent> Decide(AccountFunds? payer, PayeeSnapshot? payee, AccountFunds? payeeInShard, IRiskAssessor? risk, Pay c, Fx.FxQuote? quote = null)
    {
        if (NotPositive(c.Amount) is { } bad)
        {
            return bad;
        }

        if (Owned(payer, c.Actor) is { } missing)
        {
            return missing;
        }

        if (payee is null)
        {
            return DomainError.NotFound("No such payee account.");
        }

        if (c.PayerAccountId == c.PayeeAccountId)
        {
            return DomainError.Rule(ErrorCodes.PaymentToSelf, "A payment needs two different accounts.");
        }

        if (c.Purpose is not (Purchase or Personal))
        {
            return DomainError.Validation("purpose must be purchase or personal.");
        }

        var price = c.SpotPrice;
        var rateSource = c.SpotRateSource;
        if (c.QuoteId is not null)
        {
            if (Fx.QuoteRules.Check(quote, c.Actor, c.PayerAccountId, c.At) is { } quoteProblem)
            {
                return quoteProblem;
            }

            if (quote!.Price.SellAmount != c.Amount || quote.Price.BuyAmount.Currency != c.PayeeCurrency)
            {
                return DomainError.Validation($"The quote sells {quote.Price.SellAmount} for {quote.Price.BuyAmount.Currency}: the payment's amount and payeeCurrency must match it.");
            }

            (price, rateSource) = (quote.Price, quote.RateSource);
        }

        if (c.PayeeCurrency != c.Amount.Currency && (price is null || price.SellAmount != c.Amount || price.BuyAmount.Currency != c.PayeeCurrency))
        {
            return DomainError.Rule(ErrorCodes.CurrencyNotSupported, $"No price to convert {c.Amount.Currency} to {c.PayeeCurrency}.");
        }

        if (c.PayeeCurrency == c.Amount.Currency)
        {
            price = null; // nothing to convert
        }

        if (Active(payer!) is { } inactive)
        {
            return inactive;
        }

        if (payee.Status != AccountStatus.Active)
        {
            return DomainError.Rule(ErrorCodes.AccountNotActive, "The payee account is not active.");
        }

        if (payer!.BalanceIn(c.Amount.Currency).Available < c.Amount.Minor)
        {
            return InsufficientFunds(c.Amount.Currency);
        }

        var (currency, amount) = (c.Amount.Currency, c.Amount.Minor);
        var events = new List<MoneyEvent>(5)
        {
            new PaymentInitiated(c.PaymentId, c.PayerAccountId, c.PayeeAccountId, amount, currency, c.Purpose, c.Description, c.Metadata, c.Actor.Subject, c.At),
        };
        if (price is not null)
        {
            events.Add(new PaymentConversionPriced(c.PaymentId, c.QuoteId, price.SellAmount.Minor, price.SellAmount.Currency, price.Fee,
                price.BuyAmount.Minor, price.BuyAmount.Currency, price.Rate, price.MidRate, rateSource ?? "unknown", c.At));
        }

        events.Add(new PaymentFundsReserved(c.PaymentId, Postings.AssertBalanced(Postings.Move(currency, amount, c.PayerAccountId, Bucket.Available, c.PayerAccountId, Bucket.Pending)), c.At));
        if (risk is null)
        {
            // The fraud pipeline decides: the reserve stays pending until its verdict (or the deadline's fallback).
            return Decision<MoneyEvent>.Ok(events);
        }

        var decision = risk.Assess(payer, payee, c.Amount, c.At);
        events.Add(new PaymentRiskAssessed(c.PaymentId, c.PayerAccountId, amount, currency, decision.Outcome, decision.ScoreBasisPoints, decision.Reasons, decision.Source, c.At));
        events.AddRange(Settle(new ReservedPayment(c.PaymentId, c.PayerAccountId, c.PayeeAccountId, c.Amount, price, PaymentStatus.Pending), decision.Outcome, decision.Reasons,
            payeeInShard is not null, payeeInShard, c.At));
        return Decision<MoneyEvent>.Ok(events);
    }

    /// <summary>
    /// A risk verdict on a payment whose funds are reserved (the fraud pipeline's, or the rules' after the verdict
    /// deadline). Only a payment still waiting for one is decided; any other verdict changes nothing, so a
    /// redelivered or late verdict is harmless.
    /// </summary>
    public static Decision<MoneyEvent> Decide(ReservedPayment? payment, bool payeeIsLocal, AccountFunds? payeeInShard, RiskDecision decision, DateTimeOffset at)
    {
        if (payment is null)
        {
            return DomainError.NotFound("No such payment.");
        }

        if (payment.Status != PaymentStatus.Pending)
        {
            return Decision<MoneyEvent>.Ok();
        }

        var (amount, currency) = (payment.Amount.Minor, payment.Amount.Currency);
        return Decision<MoneyEvent>.Ok([
            new PaymentRiskAssessed(payment.PaymentId, payment.PayerAccountId, amount, currency, decision.Outcome, decision.ScoreBasisPoints, decision.Reasons, decision.Source, at),
            .. Settle(payment, decision.Outcome, decision.Reasons, payeeIsLocal, payeeInShard, at),
        ]);
    }

    /// <summary>Support decides a payment the risk decision sent to review: approve completes it, reject releases the reserve.</summary>
    public static Decision<MoneyEvent> Decide(ReservedPayment? payment, bool payeeIsLocal, AccountFunds? payeeInShard, ReviewPayment c)
    {
        if (payment is null || !c.Actor.IsSupport)
        {
            return DomainError.NotFound("No such payment.");
        }

        if (payment.Status != PaymentStatus.InReview)
        {
            return DomainError.Rule(ErrorCodes.PaymentNotInReview, "Only a payment in review can be reviewed.");
        }

        var outcome = c.Approve ? RiskOutcome.Approve : RiskOutcome.Reject;
        var reasons = new[] { $"reviewed by support: {(c.Approve ? "approved" : "rejected")}" };
        return Decision<MoneyEvent>.Ok([
            new PaymentReviewed(payment.PaymentId, c.Approve, c.Note, c.Actor.Subject, c.At),
            .. Settle(payment with { Status = PaymentStatus.Pending }, outcome, reasons, payeeIsLocal, payeeInShard, c.At),
        ]);
    }

    /// <summary>What a risk outcome does to a reserved payment: release the reserve (reject), deliver it to the payee
    /// in this shard or hand it to transit for the payee's shard (approve), or keep it pending for support (review).
    /// A same-shard payee that stopped being active since the payment began is refused like a cross-shard credit is.</summary>
    private static List<MoneyEvent> Settle(ReservedPayment p, RiskOutcome outcome, IReadOnlyList<string> reasons, bool payeeIsLocal, AccountFunds? payeeInShard, DateTimeOffset at)
    {
        var (currency, amount) = (p.Amount.Currency, p.Amount.Minor);
        var release = Postings.Move(currency, amount, p.PayerAccountId, Bucket.Pending, p.PayerAccountId, Bucket.Available);
        switch (outcome)
        {
            case RiskOutcome.Reject:
                return [new PaymentRejected(p.PaymentId, reasons, Postings.AssertBalanced(release), at)];
            case RiskOutcome.Approve when payeeIsLocal && payeeInShard is not { Status: AccountStatus.Active }:
                return [new PaymentRejected(p.PaymentId, ["the payee account is not active"], Postings.AssertBalanced(release), at)];
            case RiskOutcome.Approve when payeeIsLocal:
                return [new PaymentCompleted(p.PaymentId, Postings.AssertBalanced(Deliver(p.PayerAccountId, p.Amount, p.Conversion, p.PayeeAccountId)), at)];
            case RiskOutcome.Approve:
                return [new PaymentSentToPayee(p.PaymentId, p.PayeeAccountId, Postings.AssertBalanced(Deliver(p.PayerAccountId, p.Amount, p.Conversion, SystemAccounts.Transit)), at)];
            default:
                return []; // review: the reserve stays pending until support decides (fraud reviews)
        }
    }

    /// <summary>A conversion within one account, at its quote's locked price.</summary>
    public static Decision<MoneyEvent> Decide(AccountFunds? account, Fx.FxQuote? quote, ConvertFunds c)
    {
        if (Owned(account, c.Actor) is { } missing)
        {
            return missing;
        }

        if (Fx.QuoteRules.Check(quote, c.Actor, c.AccountId, c.At) is { } quoteProblem)
        {
            return quoteProblem;
        }

        if (Active(account!) is { } inactive)
        {
            return inactive;
        }

        var price = quote!.Price;
        if (account!.BalanceIn(price.SellAmount.Currency).Available < price.SellAmount.Minor)
        {
            return InsufficientFunds(price.SellAmount.Currency);
        }

        var legs = Postings.AssertBalanced(ConversionLegs(price, c.AccountId, Bucket.Available, c.AccountId));
        return Decision<MoneyEvent>.Ok(new FundsConverted(c.ConversionId, c.AccountId, quote.Id, price.SellAmount.Minor, price.SellAmount.Currency, price.Fee,
            price.BuyAmount.Minor, price.BuyAmount.Currency, price.Rate, legs, c.At));
    }

    /// <summary>The payer's reserve (sell currency) to <paramref name="to"/>, converted when there is a price.</summary>
    private static Posting[] Deliver(string payer, Money.Money amount, Fx.FxPrice? price, string to) =>
        price is null
            ? Postings.Move(amount.Currency, amount.Minor, payer, Bucket.Pending, to, Bucket.Available)
            : ConversionLegs(price, payer, Bucket.Pending, to);

    /// <summary>
    /// A conversion's double entry, each currency balanced on its own: in the sell currency the customer gives the
    /// sell amount, the fx account takes the net and fee revenue the fee; in the buy currency the fx account pays the
    /// buy amount to <paramref name="to"/>.
    /// </summary>
    public static Posting[] ConversionLegs(Fx.FxPrice price, string from, Bucket fromBucket, string to)
    {
        var sell = price.SellAmount;
        var buy = price.BuyAmount;
        var legs = new List<Posting>(5)
        {
            new(from, sell.Currency, -sell.Minor, fromBucket),
            new(SystemAccounts.Fx, sell.Currency, price.NetSell, Bucket.Available),
        };
        if (price.Fee != 0)
        {
            legs.Add(new Posting(SystemAccounts.Fees, sell.Currency, price.Fee, Bucket.Available));
        }

        legs.Add(new Posting(SystemAccounts.Fx, buy.Currency, -buy.Minor, Bucket.Available));
        legs.Add(new Posting(to, buy.Currency, buy.Minor, Bucket.Available));
        return [.. legs];
    }

    /// <summary>The payee's shard applies a cross-shard credit, or refuses it so the payer's shard reverses it.</summary>
    public static Decision<MoneyEvent> Decide(AccountFunds? payee, CreditPayee c)
    {
        if (payee is null || payee.Status != AccountStatus.Active)
        {
            return Decision<MoneyEvent>.Ok(new PaymentCreditRefused(c.PaymentId, "the payee account is not active", c.At));
        }

        return Decision<MoneyEvent>.Ok(new PaymentCompleted(c.PaymentId,
            Postings.AssertBalanced(Postings.Move(c.Amount.Currency, c.Amount.Minor, SystemAccounts.Transit, Bucket.Available, c.PayeeAccountId, Bucket.Available)), c.At));
    }

    /// <summary>A refused credit goes back from transit to the payer: in full, fee included, the conversion undone.</summary>
    public static Decision<MoneyEvent> Decide(ReversePayment c) =>
        Decision<MoneyEvent>.Ok(new PaymentReversed(c.PaymentId, c.Reason,
            Postings.AssertBalanced(c.Conversion is { } price
                ? [.. ConversionLegs(price, c.PayerAccountId, Bucket.Available, SystemAccounts.Transit).Select(p => p with { Amount = -p.Amount })]
                : Postings.Move(c.Amount.Currency, c.Amount.Minor, SystemAccounts.Transit, Bucket.Available, c.PayerAccountId, Bucket.Available)), c.At));

    /// <summary>Applies one event to one account: its postings, its velocity, its entry count.</summary>
    public static AccountFunds Evolve(AccountFunds account, MoneyEvent e)
    {
        var next = account;
        foreach (var posting in e.Postings)
        {
            next = next.Apply(posting);
        }

        var entries = EntriesFor(account.Id, e).Count();
        if (entries > 0)
        {
            next = next with { EntryCount = next.EntryCount + entries };
        }

        next = e switch
        {
            Protection.DisputeOpened { FromReserve: > 0 } o when o.PayeeAccountId == account.Id => next.Owe(o.Currency, o.FromReserve),
            Protection.DisputeResolved { ReceivableCancelled: > 0 } r when r.PayeeAccountId == account.Id => next.Owe(r.Currency, -r.ReceivableCancelled),
            Protection.ReceivableRepaid p when p.AccountId == account.Id => next.Owe(p.Currency, -p.Amount),
            _ => next,
        };

        if (e is PaymentRiskAssessed { Outcome: not RiskOutcome.Reject } assessed && assessed.PayerAccountId == account.Id)
        {
            next = next with { Velocity = next.Velocity.Record(assessed.Currency, assessed.Amount, assessed.At) };
        }

        return next;
    }

    /// <summary>
    /// The history entries an event makes for an account: one per currency whose total (available + pending + held)
    /// it changes. Moves between an account's own buckets (reserve, release) change no total and make no entry.
    /// </summary>
    public static IEnumerable<(string Currency, long Amount)> EntriesFor(string accountId, MoneyEvent e) =>
        e.Postings.Where(p => p.Account == accountId)
            .GroupBy(p => p.Currency)
            .Select(g => (g.Key, g.Sum(p => p.Amount)))
            .Where(x => x.Item2 != 0);

    /// <summary>The checks every movement from or into one account makes first, in the order their errors matter:
    /// the amount, then ownership (404 before anything else is revealed), then the account's status.</summary>
    private static DomainError? MayMove(AccountFunds? account, Actor actor, Money.Money amount) =>
        NotPositive(amount) ?? Owned(account, actor) ?? Active(account!);

    /// <summary>The API parses amounts, but the decider does not trust it: a non-positive amount would run money backwards.</summary>
    private static DomainError? NotPositive(Money.Money amount) =>
        amount.Minor > 0 ? null : DomainError.Validation("The amount must be greater than zero.");

    private static DomainError? Owned(AccountFunds? account, Actor actor) =>
        account is null || !(string.Equals(account.Owner, actor.Subject, StringComparison.Ordinal) && actor.CanOwnAccounts)
            ? DomainError.NotFound("No such account.")
            : null;

    private static DomainError? Active(AccountFunds account) =>
        account.Status == AccountStatus.Active
            ? null
            : DomainError.Rule(ErrorCodes.AccountNotActive, $"The account is {AccountStatuses.Name(account.Status)}.");

    private static DomainError InsufficientFunds(string currency) =>
        DomainError.Rule(ErrorCodes.InsufficientFunds, $"The available {currency} balance does not cover this amount.");
}
