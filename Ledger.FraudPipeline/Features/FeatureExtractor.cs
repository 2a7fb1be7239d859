using Ledger.Domain.Money;

namespace Ledger.FraudPipeline.Features;

/// <summary>
/// The one definition of the fraud features, used by the live pipeline (over documents loaded from PostgreSQL) and
/// by the synthetic generator (over documents in memory): <see cref="Extract"/> reads the state before a payment,
/// <see cref="Observe"/> folds the payment in afterwards. Pure: the payment carries its own time.
/// </summary>
public static class FeatureExtractor
{
    /// <summary>How far back the features look (the longest velocity window).</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    public const int MaxKnownPayees = 1_000;

    /// <summary>
    /// A hot merchant is paid by thousands of accounts a day: <see cref="AccountFeatures.PaidBy"/> keeps at most this
    /// many (the most recent), so a document stays small and distinct counts saturate at the cap, far past any threshold.
    /// </summary>
    public const int MaxCounterparties = 2_000;

    public static FraudFeatures Extract(AccountFeatures? payer, AccountFeatures? payee, PaymentFacts p)
    {
        var amount = Major(p.AmountMinor, p.Currency);
        var stats = payer?.SentStats.GetValueOrDefault(p.Currency);
        var sent = payer?.SentPanes ?? Empty;
        var f = new FraudFeatures
        {
            AmountLog = (float)Math.Log10(1 + amount),
            AmountToPayerMean = stats is { Count: > 0, Mean: > 0 } ? (float)Math.Min(100, amount / stats.Mean) : 1f,
            AmountZScore = stats is { Count: > 1 } && stats.StdDev > 0 ? (float)Math.Clamp((amount - stats.Mean) / stats.StdDev, -10, 10) : 0f,
            PayerCount1m = sent.Count(p.At, TimeSpan.FromMinutes(1)),
            PayerCount1h = sent.Count(p.At, TimeSpan.FromHours(1)),
            PayerCount24h = sent.Count(p.At, Window),
            PayerSumLog1h = (float)Math.Log10(1 + sent.Sum(p.At, TimeSpan.FromHours(1), p.Currency)),
            PayerSumLog24h = (float)Math.Log10(1 + sent.Sum(p.At, Window, p.Currency)),
            PayerHistoryLog = (float)Math.Log10(1 + (payer?.SentStats.Values.Sum(s => s.Count) ?? 0)),
            PayerAgeDays = AgeDays(payer?.OpenedAt, p.At),
            PayeeAgeDays = AgeDays(payee?.OpenedAt, p.At),
            PayerIdleDays = payer?.LastSentAt is { } last ? (float)Math.Clamp((p.At - last).TotalDays, 0, 365) : 365f,
            FirstPaymentToPayee = payer?.PaidTo.Contains(p.PayeeAccountId) == true ? 0f : 1f,
            PayeeDistinctPayers1h = Distinct(payee?.PaidBy, p.At, TimeSpan.FromHours(1)),
            PayeeDistinctPayers24h = Distinct(payee?.PaidBy, p.At, Window),
            PayerDistinctPayers24h = Distinct(payer?.PaidBy, p.At, Window),
            CurrencyMismatch = p.PayeeCurrency == p.Currency ? 0f : 1f,
            HourOfDay = p.At.UtcDateTime.Hour,
            IsPurchase = p.Purpose == "purchase" ? 1f : 0f,
        };
        return f;
    }

    /// <summary>Folds a payment into both sides' documents (payer's sent side, payee's received side).</summary>
    public static void Observe(AccountFeatures payer, AccountFeatures payee, PaymentFacts p)
    {
        var amount = Major(p.AmountMinor, p.Currency);
        payer.SentPanes.Add(p.At, amount, p.Currency);
        if (!payer.SentStats.TryGetValue(p.Currency, out var stats))
        {
            payer.SentStats[p.Currency] = stats = new AmountStats();
        }

        stats.Add(amount);
        payer.PaidTo.Seen(p.PayeeAccountId, p.At, MaxKnownPayees);

        payer.LastSentAt = payer.LastSentAt is { } last && last > p.At ? last : p.At;

        PaidBy(payee, p.PayerAccountId, p.At);
    }

    /// <summary>
    /// Folds an older document's lists (<see cref="AccountFeatures.Sent"/>, <see cref="AccountFeatures.Received"/>,
    /// <see cref="AccountFeatures.Payees"/>) into the panes and counterparty sets, oldest first, as <see cref="Observe"/>
    /// would have; then drops them.
    /// </summary>
    public static AccountFeatures Upgrade(AccountFeatures account)
    {
        foreach (var s in account.Sent?.OrderBy(s => s.At) ?? Enumerable.Empty<RecentPayment>())
        {
            account.SentPanes.Add(s.At, s.Amount, s.Currency);
        }

        foreach (var r in account.Received?.OrderBy(r => r.At) ?? Enumerable.Empty<RecentPayment>())
        {
            PaidBy(account, r.Counterparty, r.At);
        }

        // The old list had no times, only an order (newest last): one second apart keeps that order for eviction.
        var order = DateTimeOffset.UnixEpoch;
        foreach (var payee in account.Payees ?? [])
        {
            account.PaidTo.Seen(payee, order = order.AddSeconds(1), MaxKnownPayees);
        }

        account.Sent = null;
        account.Received = null;
        account.Payees = null;
        return account;
    }

    /// <summary>The account's opening (from <c>account_opened.v1</c>).</summary>
    public static void Opened(AccountFeatures account, DateTimeOffset at) => account.OpenedAt ??= at;

    private static double Major(long minor, string currency) =>
        (double)minor / (Currencies.TryGet(currency, out var c) ? c.Factor : 100);

    private static float AgeDays(DateTimeOffset? opened, DateTimeOffset at) =>
        opened is { } o ? (float)Math.Clamp((at - o).TotalDays, 0, 3650) : 0f;

    private static readonly SentPanes Empty = new();

    /// <summary>Counterparties whose latest payment is within (at - window, at], to the second.</summary>
    private static float Distinct(Counterparties? seen, DateTimeOffset at, TimeSpan window) =>
        seen is null ? 0f : seen.SeenWithin(at - window, at);

    /// <summary>Records a payment from <paramref name="counterparty"/>: forgets who last paid a day or more before it,
    /// and past <see cref="MaxCounterparties"/> the least recent.</summary>
    private static void PaidBy(AccountFeatures account, string counterparty, DateTimeOffset at)
    {
        account.PaidBy.ForgetUpTo(at - Window);
        account.PaidBy.Seen(counterparty, at, MaxCounterparties);
    }
}
