namespace Ledger.Projections.Store;

/// <summary>
/// Opaque, prefixed, time-ordered ids (DESIGN "Ids"): a type prefix for people reading logs and support tickets,
/// then a UUIDv7 in hex. Random enough that collisions are not worth handling, ordered enough for index locality.
/// </summary>
public static class Ids
{
    public const string AccountPrefix = "acc_";

    public const string PaymentPrefix = "pay_";
    public const string DepositPrefix = "dep_";
    public const string WithdrawalPrefix = "wdr_";
    public const string QuotePrefix = "quo_";
    public const string ConversionPrefix = "cnv_";
    public const string RefundPrefix = "ref_";
    public const string DisputePrefix = "dsp_";

    public static string NewAccountId() => New(AccountPrefix);

    public static string New(string prefix) => prefix + Guid.CreateVersion7().ToString("N");

    /// <summary>Cheap shape check so garbage ids answer 404 without a database round trip.</summary>
    public static bool LooksLike(string prefix, string? id) =>
        id is not null
        && id.Length == prefix.Length + 32
        && id.StartsWith(prefix, StringComparison.Ordinal)
        && id.AsSpan(prefix.Length).ContainsAnyExcept("0123456789abcdef") == false;
}
