using System.Collections.Immutable;
using Ledger.Domain.Accounts;

namespace Ledger.Domain.Ledger;

/// <summary>Which part of an account's balance a posting moves (SPEC "Money rules").</summary>
public enum Bucket
{
    Available,
    Pending,
    Held,
}

/// <summary>
/// One leg of a movement: <paramref name="Amount"/> minor units added to (positive) or taken from (negative) one
/// bucket of one account's balance in one currency. Every event's postings sum to zero per currency (double entry):
/// see <see cref="Postings.AssertBalanced"/>, which stays on in production (TigerBeetle's rule).
/// </summary>
public sealed record Posting(string Account, string Currency, long Amount, Bucket Bucket);

/// <summary>The ledger's own accounts. They may go negative: settlement is the outside world's side of deposits.</summary>
public static class SystemAccounts
{
    /// <summary>Money in from and out to external rails (deposits, withdrawals).</summary>
    public const string Settlement = "sys_settlement";

    /// <summary>Money between a payer's shard and a payee's shard: in flight, owned by no customer.</summary>
    public const string Transit = "sys_transit";

    /// <summary>The ledger's foreign-exchange position: takes one currency in and pays another out in each conversion,
    /// balanced per currency (SPEC "Multi-currency").</summary>
    public const string Fx = "sys_fx";

    /// <summary>Fee revenue: the spread of every conversion, in the currency it was taken in.</summary>
    public const string Fees = "sys_fees";

    /// <summary>Buyer and seller protection: covers a disputed amount the seller cannot, and pays protected buyers.
    /// May go negative: it is the ledger's own money at risk, funded from fee revenue by treasury.</summary>
    public const string ProtectionReserve = "sys_protection_reserve";

    /// <summary>Money that has nowhere to go yet (a refund to an account closed meanwhile): operations resolves it.</summary>
    public const string Suspense = "sys_suspense";

    public static bool IsSystem(string account) => account.StartsWith("sys_", StringComparison.Ordinal);
}

public static class Postings
{
    /// <summary>Throws if the postings do not net to zero in every currency: an unbalanced event is a bug.</summary>
    public static IReadOnlyList<Posting> AssertBalanced(IReadOnlyList<Posting> postings)
    {
        foreach (var group in postings.GroupBy(p => p.Currency))
        {
            long sum = 0;
            foreach (var posting in group)
            {
                sum = checked(sum + posting.Amount);
            }

            if (sum != 0)
            {
                throw new InvalidOperationException($"Unbalanced postings in {group.Key}: they net to {sum}.");
            }
        }

        return postings;
    }

    /// <summary>Moves <paramref name="amount"/> from one (account, bucket) to another.</summary>
    public static Posting[] Move(string currency, long amount, string fromAccount, Bucket fromBucket, string toAccount, Bucket toBucket) =>
    [
        new Posting(fromAccount, currency, -amount, fromBucket),
        new Posting(toAccount, currency, amount, toBucket),
    ];
}

/// <summary>One currency's balance of one account, in minor units.</summary>
public readonly record struct Balance(long Available, long Pending, long Held)
{
    public long Total => Available + Pending + Held;

    public Balance Apply(Posting posting) => posting.Bucket switch
    {
        Bucket.Available => this with { Available = checked(Available + posting.Amount) },
        Bucket.Pending => this with { Pending = checked(Pending + posting.Amount) },
        Bucket.Held => this with { Held = checked(Held + posting.Amount) },
        _ => throw new ArgumentOutOfRangeException(nameof(posting)),
    };

    public bool IsZero => Available == 0 && Pending == 0 && Held == 0;
}

/// <summary>
/// What the payer's velocity rules need to remember: today's (UTC) sums and count, and the current minute's count.
/// Kept with the balances so a restarted writer decides exactly as before.
/// </summary>
public sealed record Velocity(DateOnly Day, ImmutableDictionary<string, long> SentToday, int CountToday, DateTimeOffset MinuteStart, int CountThisMinute)
{
    public static readonly Velocity None = new(DateOnly.MinValue, ImmutableDictionary<string, long>.Empty, 0, DateTimeOffset.MinValue, 0);

    public long SentTodayIn(string currency, DateTimeOffset now) =>
        Day == DateOnly.FromDateTime(now.UtcDateTime) ? SentToday.GetValueOrDefault(currency) : 0;

    public int CountInMinute(DateTimeOffset now) => now - MinuteStart < TimeSpan.FromMinutes(1) ? CountThisMinute : 0;

    public Velocity Record(string currency, long amount, DateTimeOffset now)
    {
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        var sent = day == Day ? SentToday : ImmutableDictionary<string, long>.Empty;
        var count = day == Day ? CountToday : 0;
        var inMinute = now - MinuteStart < TimeSpan.FromMinutes(1);
        return new Velocity(
            day,
            sent.SetItem(currency, checked(sent.GetValueOrDefault(currency) + amount)),
            count + 1,
            inMinute ? MinuteStart : now,
            inMinute ? CountThisMinute + 1 : 1);
    }
}

/// <summary>An account as the ledger engine holds it in memory: who owns it, whether it may move money, its balances.</summary>
public sealed record AccountFunds(
    string Id,
    string Owner,
    AccountStatus Status,
    ImmutableDictionary<string, Balance> Balances,
    Velocity Velocity,
    long EntryCount)
{
    /// <summary>What the account owes the protection reserve per currency (a dispute's shortfall); repaid first from
    /// incoming funds.</summary>
    public ImmutableDictionary<string, long> Owed { get; init; } = ImmutableDictionary<string, long>.Empty;

    /// <summary>When the account was opened (risk holds on new payees); MinValue when unknown.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    public Balance BalanceIn(string currency) => Balances.GetValueOrDefault(currency);

    public AccountFunds Apply(Posting posting) =>
        posting.Account != Id
            ? this
            : this with { Balances = Balances.SetItem(posting.Currency, BalanceIn(posting.Currency).Apply(posting)) };

    /// <summary>Why this account may not close now (SPEC: every balance zero, nothing held or disputed).</summary>
    public IReadOnlyList<string> ClosureBlockers() =>
        Balances.Where(b => !b.Value.IsZero)
            .OrderBy(b => b.Key, StringComparer.Ordinal)
            .Select(b => $"the {b.Key} balance is not zero (available {b.Value.Available}, pending {b.Value.Pending}, held {b.Value.Held} minor units)")
            .Concat(Owed.Where(o => o.Value > 0).OrderBy(o => o.Key, StringComparer.Ordinal)
                .Select(o => $"it owes the protection reserve {o.Value} minor units of {o.Key}"))
            .ToList();

    public AccountFunds Owe(string currency, long change)
    {
        var next = checked(Owed.GetValueOrDefault(currency) + change);
        return this with { Owed = next == 0 ? Owed.Remove(currency) : Owed.SetItem(currency, next) };
    }
}
