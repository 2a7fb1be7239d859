namespace Ledger.FraudPipeline.Synthetic;

internal enum AccountKind
{
    Customer,
    Merchant,

    /// <summary>An account opened by a fraud ring to collect scam payments (fan-in), then cash out.</summary>
    Mule,

    /// <summary>Where stolen money leaves: a freshly opened account the ring controls.</summary>
    Exit,
}

/// <summary>
/// One simulated account and its behaviour profile, after the Fraud Detection Handbook's customer profile (mean and
/// deviation of the amount, mean transactions a day, a set of usual terminals — here merchants — and contacts for
/// PaySim-style transfers, our "personal" purpose). Amounts are drawn in US dollars and converted to the account's
/// currency when a payment is made.
/// </summary>
internal sealed class SimAccount(string id, AccountKind kind, DateTimeOffset openedAt, string currency)
{
    public string Id { get; } = id;
    public AccountKind Kind { get; } = kind;
    public DateTimeOffset OpenedAt { get; } = openedAt;
    public string Currency { get; } = currency;

    public double MeanUsd { get; init; }
    public double TxPerDay { get; init; }

    /// <summary>UTC hour around which this customer is active (their local midday).</summary>
    public double ActiveHourUtc { get; init; }

    public List<SimAccount> UsualMerchants { get; } = [];
    public List<SimAccount> Contacts { get; } = [];

    /// <summary>Days (since the simulation start) in which the customer sends nothing: a sleeper's gap, or the
    /// dormancy before a drain.</summary>
    public (int From, int To)? Silent { get; set; }
}
