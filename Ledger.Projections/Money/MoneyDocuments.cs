using Ledger.Domain.Ledger;

namespace Ledger.Projections.Money;

/// <summary>
/// An account's balances, velocity and history count as the ledger engine last committed them. Written by the
/// engine in the same transaction as the events that changed it; <see cref="Revision"/> counts those commits, so a
/// cache can tell a fresh balance from a stale one. Rebuildable from the events (issue 7's replay compares them).
/// </summary>
public sealed class AccountBalances
{
    public string Id { get; set; } = string.Empty;
    public Dictionary<string, Balance> Balances { get; set; } = new(StringComparer.Ordinal);
    public Velocity Velocity { get; set; } = Velocity.None;
    public long EntryCount { get; set; }
    public long Revision { get; set; }

    /// <summary>What the account owes the protection reserve, per currency (dispute shortfalls).</summary>
    public Dictionary<string, long> Owed { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The payment as SPEC's API shows it, plus what the engine needs to finish it after a restart.</summary>
public sealed class PaymentRecord
{
    public string Id { get; set; } = string.Empty;
    public string Status { get; set; } = PaymentStatuses.Pending;
    public string PayerAccountId { get; set; } = string.Empty;
    public string PayeeAccountId { get; set; } = string.Empty;
    public string PayerOwner { get; set; } = string.Empty;
    public string PayeeOwner { get; set; } = string.Empty;
    public long Amount { get; set; }
    public string Currency { get; set; } = string.Empty;
    public long SettledAmount { get; set; }
    public string SettledCurrency { get; set; } = string.Empty;
    public string Purpose { get; set; } = string.Empty;
    public string? Description { get; set; }
    public Dictionary<string, string>? Metadata { get; set; }
    public int? RiskScoreBasisPoints { get; set; }

    /// <summary>Cross-currency only: the customer's rate, the spread taken (in <see cref="Currency"/>) and the quote used.</summary>
    public decimal? FxRate { get; set; }
    public long Fee { get; set; }
    public string? QuoteId { get; set; }

    /// <summary>Protection: how much of <see cref="SettledAmount"/> was refunded, and the dispute now open, if any.</summary>
    public long Refunded { get; set; }
    public string? OpenDisputeId { get; set; }

    /// <summary>Risk hold: <c>held</c> until <see cref="HeldUntil"/> or the payer's release, then <c>released</c>; null when never held.</summary>
    public string? Hold { get; set; }
    public DateTimeOffset? HeldUntil { get; set; }
    public List<string> Reasons { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Cross-shard progress: which shard must act next after a restart (see PaymentStatuses).</summary>
    public int PayerShard { get; set; }
    public int PayeeShard { get; set; }

    /// <summary>A copy to change without changing this one (the engine keeps committed records in memory and decides
    /// on copies: a batch that fails must leave them as the store has them).</summary>
    public PaymentRecord Copy()
    {
        var copy = (PaymentRecord)MemberwiseClone();
        copy.Reasons = [.. Reasons];
        copy.Metadata = Metadata is null ? null : new Dictionary<string, string>(Metadata, StringComparer.Ordinal);
        return copy;
    }
}

public static class PaymentStatuses
{
    public const string Pending = "pending";
    public const string InReview = "in_review";
    public const string Completed = "completed";
    public const string Rejected = "rejected";

    /// <summary>Cross-shard: the money left the payer for transit and the payee's shard has not credited it yet.</summary>
    public const string Processing = "processing";

    /// <summary>Cross-shard: the payee's shard refused the credit; the payer's shard is returning the money.</summary>
    public const string Reversing = "reversing";

    /// <summary>The credit could not be applied and the money went back to the payer.</summary>
    public const string Failed = "failed";

    public const string PartiallyRefunded = "partially_refunded";
    public const string Refunded = "refunded";

    /// <summary>A dispute was resolved for the buyer: the money went back to the payer.</summary>
    public const string ChargedBack = "charged_back";

    /// <summary>A dispute was resolved for the buyer under seller protection: the reserve paid the buyer, the seller
    /// kept the money. Final: nothing more can be refunded or disputed.</summary>
    public const string BuyerReimbursed = "buyer_reimbursed";

    public static bool IsFinal(string status) => status is Completed or Rejected or Failed;
}

/// <summary>One line of an account's history (SPEC "History"): a change of the account's total in one currency.
/// Stored in the plain table <c>ledger.entries</c> (one set-based insert per batch), not as a Marten document.</summary>
public sealed class LedgerEntry
{
    /// <summary><c>{accountId}:{seq}</c>: unique and ordered per account.</summary>
    public string Id { get; set; } = string.Empty;
    public string AccountId { get; set; } = string.Empty;
    public long Seq { get; set; }
    public string Kind { get; set; } = string.Empty;
    public string? PaymentId { get; set; }
    public string? TransactionId { get; set; }
    public string Currency { get; set; } = string.Empty;
    public long Amount { get; set; }
    public long BalanceAfter { get; set; }
    public string? Counterparty { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
}

/// <summary>A deposit or withdrawal, as <c>POST /v1/deposits</c> and <c>/v1/withdrawals</c> answer it.</summary>
public sealed class TransactionRecord
{
    public string Id { get; set; } = string.Empty;
    public string Kind { get; set; } = string.Empty;
    public string AccountId { get; set; } = string.Empty;
    public string Owner { get; set; } = string.Empty;
    public long Amount { get; set; }
    public string Currency { get; set; } = string.Empty;
    public string Reference { get; set; } = string.Empty;
    public long BalanceAfter { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>The values of <see cref="PaymentRecord.Hold"/>.</summary>
public static class PaymentHolds
{
    public const string Held = "held";
    public const string Released = "released";
}

/// <summary>A dispute (SPEC "Buyer and seller protection"), written only by the payee's shard writer.</summary>
public sealed class DisputeRecord
{
    public string Id { get; set; } = string.Empty;
    public string PaymentId { get; set; } = string.Empty;
    public string PayerAccountId { get; set; } = string.Empty;
    public string PayeeAccountId { get; set; } = string.Empty;
    public string PayerOwner { get; set; } = string.Empty;
    public string PayeeOwner { get; set; } = string.Empty;
    public string Reason { get; set; } = string.Empty;
    public string? Details { get; set; }
    public long Amount { get; set; }
    public string Currency { get; set; } = string.Empty;
    public long FromPayee { get; set; }
    public long FromReserve { get; set; }
    public string Status { get; set; } = "open";
    public string? Outcome { get; set; }
    public bool SellerProtected { get; set; }
    public string? Note { get; set; }
    public string? ResolvedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ResolvedAt { get; set; }
}

/// <summary>Money given back to a payer in another shard, on its way through transit: written by the payee's shard
/// with the refund or resolution, marked done by the payer's shard with the credit. A restarted payer shard finishes
/// every one not done (the same way cross-shard payment credits are resumed).</summary>
public sealed class PendingReturn
{
    public string Id { get; set; } = string.Empty;
    public string PaymentId { get; set; } = string.Empty;
    public string AccountId { get; set; } = string.Empty;
    public long Amount { get; set; }
    public string Currency { get; set; } = string.Empty;
    public string Kind { get; set; } = string.Empty;
    public int PayerShard { get; set; }
    public bool Done { get; set; }
}
