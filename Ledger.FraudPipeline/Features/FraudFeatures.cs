namespace Ledger.FraudPipeline.Features;

/// <summary>
/// One payment's model input, computed by <see cref="FeatureExtractor.Extract"/> from the payer's and payee's
/// <see cref="AccountFeatures"/> as they stood before the payment. Column order is <see cref="Names"/>: the model
/// server's CSV rows and the SageMaker payloads use it. Floats because they are model inputs, not money.
/// </summary>
public sealed class FraudFeatures
{
    /// <summary>log10(1 + amount in major units).</summary>
    public float AmountLog { get; set; }

    /// <summary>Amount divided by the payer's mean past amount in this currency (1 with no history), capped at 100.</summary>
    public float AmountToPayerMean { get; set; }

    /// <summary>How many standard deviations above the payer's mean (0 with fewer than two past payments), in [-10, 10].</summary>
    public float AmountZScore { get; set; }

    public float PayerCount1m { get; set; }
    public float PayerCount1h { get; set; }
    public float PayerCount24h { get; set; }

    /// <summary>log10(1 + sum sent in this currency, major units) over the last hour / day.</summary>
    public float PayerSumLog1h { get; set; }
    public float PayerSumLog24h { get; set; }

    /// <summary>log10(1 + payments the payer ever sent).</summary>
    public float PayerHistoryLog { get; set; }

    /// <summary>Days since the account opened (0 when unknown), capped at 3650.</summary>
    public float PayerAgeDays { get; set; }
    public float PayeeAgeDays { get; set; }

    /// <summary>Days since the payer's previous payment (dormancy), capped at 365; 365 when it never paid.</summary>
    public float PayerIdleDays { get; set; }

    /// <summary>1 when the payer never paid this payee before.</summary>
    public float FirstPaymentToPayee { get; set; }

    /// <summary>Fan-in: distinct accounts that paid the payee in the last hour / day.</summary>
    public float PayeeDistinctPayers1h { get; set; }
    public float PayeeDistinctPayers24h { get; set; }

    /// <summary>Cash-out: distinct accounts that paid the payer in the last day.</summary>
    public float PayerDistinctPayers24h { get; set; }

    /// <summary>1 when the payee receives another currency than the payer pays.</summary>
    public float CurrencyMismatch { get; set; }

    /// <summary>UTC hour of the payment, 0–23.</summary>
    public float HourOfDay { get; set; }

    /// <summary>1 for purchases, 0 for personal payments.</summary>
    public float IsPurchase { get; set; }

    public static readonly string[] Names =
    [
        nameof(AmountLog), nameof(AmountToPayerMean), nameof(AmountZScore),
        nameof(PayerCount1m), nameof(PayerCount1h), nameof(PayerCount24h),
        nameof(PayerSumLog1h), nameof(PayerSumLog24h), nameof(PayerHistoryLog),
        nameof(PayerAgeDays), nameof(PayeeAgeDays), nameof(PayerIdleDays),
        nameof(FirstPaymentToPayee), nameof(PayeeDistinctPayers1h), nameof(PayeeDistinctPayers24h),
        nameof(PayerDistinctPayers24h), nameof(CurrencyMismatch), nameof(HourOfDay), nameof(IsPurchase),
    ];

    /// <summary>The values in <see cref="Names"/> order.</summary>
    public float[] ToArray() =>
    [
        AmountLog, AmountToPayerMean, AmountZScore,
        PayerCount1m, PayerCount1h, PayerCount24h,
        PayerSumLog1h, PayerSumLog24h, PayerHistoryLog,
        PayerAgeDays, PayeeAgeDays, PayerIdleDays,
        FirstPaymentToPayee, PayeeDistinctPayers1h, PayeeDistinctPayers24h,
        PayerDistinctPayers24h, CurrencyMismatch, HourOfDay, IsPurchase,
    ];

    /// <summary>The inverse of <see cref="ToArray"/>; throws on a wrong column count.</summary>
    public static FraudFeatures FromArray(IReadOnlyList<float> v)
    {
        if (v.Count != Names.Length)
        {
            throw new ArgumentException($"Expected {Names.Length} feature values, got {v.Count}.", nameof(v));
        }

        return new FraudFeatures
        {
            AmountLog = v[0], AmountToPayerMean = v[1], AmountZScore = v[2],
            PayerCount1m = v[3], PayerCount1h = v[4], PayerCount24h = v[5],
            PayerSumLog1h = v[6], PayerSumLog24h = v[7], PayerHistoryLog = v[8],
            PayerAgeDays = v[9], PayeeAgeDays = v[10], PayerIdleDays = v[11],
            FirstPaymentToPayee = v[12], PayeeDistinctPayers1h = v[13], PayeeDistinctPayers24h = v[14],
            PayerDistinctPayers24h = v[15], CurrencyMismatch = v[16], HourOfDay = v[17], IsPurchase = v[18],
        };
    }
}
