using System.Collections.Immutable;
using Ledger.Domain.Accounts;
using Ledger.Domain.Common;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;

namespace Ledger.Domain.Tests.Payments;

/// <summary>
/// Given(accounts and their money events) / When(command) / Then(events | error) for <see cref="MoneyDecider"/>,
/// no database (CONVENTIONS rule 8). Accounts are built by evolving events, exactly as the engine does.
/// </summary>
public static class MoneySpec
{
    public const string AliceAccount = "acc_alice";
    public const string AliceSavings = "acc_alice_savings";
    public const string BobAccount = "acc_bob";
    public const string PaymentId = "pay_1";

    public static readonly DateTimeOffset T0 = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
    public static readonly Actor Alice = new("alice", new HashSet<Role> { Role.Customer });
    public static readonly Actor Bob = new("bob", new HashSet<Role> { Role.Customer });
    public static readonly Actor Support = new("sam", new HashSet<Role> { Role.Support });

    public static readonly IRiskAssessor NoLimits = new RulesRiskAssessor(RiskPolicy.Unlimited);

    public static Money.Money Usd(long minor) => new(minor, "USD");
    public static Money.Money Jpy(long minor) => new(minor, "JPY");
    public static Money.Money Kwd(long minor) => new(minor, "KWD");

    /// <summary>An account with no money yet.</summary>
    public static AccountFunds Account(string id, string owner = "alice", AccountStatus status = AccountStatus.Active) =>
        new(id, owner, status, ImmutableDictionary<string, Balance>.Empty, Velocity.None, 0);

    /// <summary>An account that received <paramref name="deposits"/> (from settlement, as a deposit would).</summary>
    public static AccountFunds Funded(string id, string owner = "alice", AccountStatus status = AccountStatus.Active, params Money.Money[] deposits) =>
        Account(id, owner, status).Given(deposits.Select((m, i) => (MoneyEvent)Deposited(id, m, $"tx_seed_{i}")).ToArray());

    public static AccountFunds Alices(params Money.Money[] deposits) => Funded(AliceAccount, "alice", AccountStatus.Active, deposits);
    public static AccountFunds Bobs(params Money.Money[] deposits) => Funded(BobAccount, "bob", AccountStatus.Active, deposits);

    public static FundsDeposited Deposited(string accountId, Money.Money amount, string transactionId = "tx_seed") =>
        new(transactionId, accountId, amount.Minor, amount.Currency, "seed",
            Postings.Move(amount.Currency, amount.Minor, SystemAccounts.Settlement, Bucket.Available, accountId, Bucket.Available), T0);

    /// <summary>Evolves the account through <paramref name="history"/>, in order.</summary>
    public static AccountFunds Given(this AccountFunds account, IEnumerable<MoneyEvent> history) =>
        history.Aggregate(account, MoneyDecider.Evolve);

    public static PayeeSnapshot Snapshot(this AccountFunds account) => new(account.Id, account.Status);

    public static Deposit Deposit(string accountId, Money.Money amount, Actor? actor = null) =>
        new("tx_1", accountId, amount, "ref-1", actor ?? Alice, T0.AddMinutes(1));

    public static Withdraw Withdraw(string accountId, Money.Money amount, Actor? actor = null) =>
        new("tx_1", accountId, amount, "ref-1", actor ?? Alice, T0.AddMinutes(1));

    public static Pay Payment(
        string payer,
        string payee,
        Money.Money amount,
        Actor? actor = null,
        string? payeeCurrency = null,
        string purpose = MoneyDecider.Personal,
        DateTimeOffset? at = null,
        string paymentId = PaymentId) =>
        new(paymentId, payer, payee, amount, payeeCurrency ?? amount.Currency, purpose, "lunch", null, actor ?? Alice, at ?? T0.AddMinutes(1));

    /// <summary>The payee lives in the payer's shard: the payment completes in one decision when approved.</summary>
    public static Decision<MoneyEvent> PaysInShard(this AccountFunds payer, AccountFunds payee, Pay c, IRiskAssessor? risk = null) =>
        MoneyDecider.Decide(payer, payee.Snapshot(), payee, risk ?? NoLimits, c);

    /// <summary>The payee lives in another shard: the payer's shard only knows its snapshot.</summary>
    public static Decision<MoneyEvent> PaysAcrossShards(this AccountFunds payer, PayeeSnapshot payee, Pay c, IRiskAssessor? risk = null) =>
        MoneyDecider.Decide(payer, payee, null, risk ?? NoLimits, c);

    public static IRiskAssessor Rules(string currency = "USD", long? maxPerPayment = null, long? maxPerDay = null, long? reviewAbove = null, int? maxPerMinute = null) =>
        new RulesRiskAssessor(new RiskPolicy(
            Limit(currency, maxPerPayment),
            Limit(currency, maxPerDay),
            Limit(currency, reviewAbove),
            maxPerMinute));

    public static IEnumerable<Type> Types(this Decision<MoneyEvent> decision) => decision.Events.Select(e => e.GetType());

    public static T Only<T>(this Decision<MoneyEvent> decision)
        where T : MoneyEvent => decision.Events.OfType<T>().Should().ContainSingle().Which;

    public static void ShouldFailWith(this Decision<MoneyEvent> decision, ErrorKind kind, string code)
    {
        decision.Error.Should().NotBeNull("the command should have been refused");
        decision.Error!.Kind.Should().Be(kind);
        decision.Error.Code.Should().Be(code);
        decision.Events.Should().BeEmpty("a refused command decides no events");
    }

    public static void ShouldSucceed(this Decision<MoneyEvent> decision)
    {
        decision.Error.Should().BeNull();
        decision.Events.Should().NotBeEmpty();
    }

    public static Posting Leg(string account, Money.Money amount, Bucket bucket = Bucket.Available) => new(account, amount.Currency, amount.Minor, bucket);

    private static Dictionary<string, long> Limit(string currency, long? value) =>
        value is { } v ? new Dictionary<string, long> { [currency] = v } : [];
}
