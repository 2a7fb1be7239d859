using Ledger.Domain.Money;

namespace Ledger.FraudPipeline.Features;

/// <summary>
/// The one definition of the fraud features, used by the live pipeline (over documents loaded from PostgreSQL) and
/// by the synthetic generator (over documents in memory): <see cref="Extract"/> reads the state before a payment,
/// <see cref="Observe"/> folds the payment in afterwards. Pure: the payment carries its own time.
/// </summary>
public static class FeatureExtractor
{
    /// <summary>How far back the recent lists reach (the longest velocity window).</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    public const int MaxKnownPayees = 1_000;

    /// <summary>
    /// A hot merchant receives thousands of payments an hour: each recent list keeps at most this many (the newest),
    /// so a document stays small and counts over it saturate at the cap, which is already far past any threshold.
    /// </summary>
    public const int MaxRecent = 2_000;

    public static FraudFeatures Extract(AccountFeatures? payer, AccountFeatures? payee, PaymentFacts p)
    {
        var amount = Major(p.AmountMinor, p.Currency);
        var stats = payer?.SentStats.GetValueOrDefault(p.Currency);
        var sent = payer?.Sent ?? [];
        var f = new FraudFeatures
        {
            AmountLog = (float)Math.Log10(1 + amount),
            AmountToPayerMean = stats is { Count: > 0, Mean: > 0 } ? (float)Math.Min(100, amount / stats.Mean) : 1f,
            AmountZScore = stats is { Count: > 1 } && stats.StdDev > 0 ? (float)Math.Clamp((amount - stats.Mean) / stats.StdDev, -10, 10) : 0f,
            PayerCount1m = Count(sent, p.At, TimeSpan.FromMinutes(1)),
            PayerCount1h = Count(sent, p.At, TimeSpan.FromHours(1)),
            PayerCount24h = Count(sent, p.At, Window),
            PayerSumLog1h = (float)Math.Log10(1 + Sum(sent, p.At, TimeSpan.FromHours(1), p.Currency)),
            PayerSumLog24h = (float)Math.Log10(1 + Sum(sent, p.At, Window, p.Currency)),
            PayerHistoryLog = (float)Math.Log10(1 + (payer?.SentStats.Values.Sum(s => s.Count) ?? 0)),
            PayerAgeDays = AgeDays(payer?.OpenedAt, p.At),
            PayeeAgeDays = AgeDays(payee?.OpenedAt, p.At),
            PayerIdleDays = payer?.LastSentAt is { } last ? (float)Math.Clamp((p.At - last).TotalDays, 0, 365) : 365f,
            FirstPaymentToPayee = payer?.Payees.Contains(p.PayeeAccountId) == true ? 0f : 1f,
            PayeeDistinctPayers1h = Distinct(payee?.Received, p.At, TimeSpan.FromHours(1)),
            PayeeDistinctPayers24h = Distinct(payee?.Received, p.At, Window),
            PayerDistinctPayers24h = Distinct(payer?.Received, p.At, Window),
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
        Prune(payer.Sent, p.At);
        payer.Sent.Add(new RecentPayment(p.At, amount, p.Currency, p.PayeeAccountId));
        if (!payer.SentStats.TryGetValue(p.Currency, out var stats))
        {
            payer.SentStats[p.Currency] = stats = new AmountStats();
        }

        stats.Add(amount);
        payer.Payees.Remove(p.PayeeAccountId);
        payer.Payees.Add(p.PayeeAccountId);
        if (payer.Payees.Count > MaxKnownPayees)
        {
            payer.Payees.RemoveRange(0, payer.Payees.Count - MaxKnownPayees);
        }

        payer.LastSentAt = payer.LastSentAt is { } last && last > p.At ? last : p.At;

        Prune(payee.Received, p.At);
        payee.Received.Add(new RecentPayment(p.At, amount, p.Currency, p.PayerAccountId));
    }

    /// <summary>The account's opening (from <c>account_opened.v1</c>).</summary>
    public static void Opened(AccountFeatures account, DateTimeOffset at) => account.OpenedAt ??= at;

    private static double Major(long minor, string currency) =>
        (double)minor / (Currencies.TryGet(currency, out var c) ? c.Factor : 100);

    private static float AgeDays(DateTimeOffset? opened, DateTimeOffset at) =>
        opened is { } o ? (float)Math.Clamp((at - o).TotalDays, 0, 3650) : 0f;

    private static float Count(List<RecentPayment> list, DateTimeOffset at, TimeSpan window) =>
        list.Count(x => x.At > at - window && x.At <= at);

    private static double Sum(List<RecentPayment> list, DateTimeOffset at, TimeSpan window, string currency) =>
        list.Where(x => x.At > at - window && x.At <= at && x.Currency == currency).Sum(x => x.Amount);

    private static float Distinct(List<RecentPayment>? list, DateTimeOffset at, TimeSpan window) =>
        list is null ? 0f : list.Where(x => x.At > at - window && x.At <= at).Select(x => x.Counterparty).Distinct().Count();

    private static void Prune(List<RecentPayment> list, DateTimeOffset now)
    {
        list.RemoveAll(x => x.At <= now - Window);
        if (list.Count >= MaxRecent)
        {
            list.RemoveRange(0, list.Count - MaxRecent + 1);
        }
    }
}
