using Ledger.Domain.Common;
using Ledger.Domain.Payments;
using Ledger.Projections.Money;
using Marten;

namespace Ledger.CommandApi.Engine;

/// <summary>Where a money command's idempotency record goes, and the hash of the request it answers.</summary>
public sealed record IdempotencyTicket(string RecordId, string RequestHash);

/// <summary>
/// A command's answer: a business-rule error (nothing written), or the response as stored for idempotent retries:
/// status, Location and the exact JSON body.
/// </summary>
public sealed record EngineOutcome(DomainError? Error, int StatusCode, string? Location, string Body, PaymentRecord? Payment, bool Replayed = false)
{
    public static EngineOutcome Failed(DomainError error) => new(error, 0, null, string.Empty, null);
}

public abstract class EngineCommand
{
    public TaskCompletionSource<EngineOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>Set by the API before submitting; the engine writes the record with the command's events.</summary>
    public IdempotencyTicket? Idempotency { get; set; }

    /// <summary>The account whose shard decides this command.</summary>
    public abstract string RoutingAccount { get; }

    /// <summary>
    /// Whether an overloaded shard may refuse this command at the door (<see cref="EngineOptions.MaxQueueDelay"/>):
    /// new money movement a caller asked for, which the caller retries with the same Idempotency-Key. Never the rest
    /// of a payment already under way (its credit, return, reversal, verdict or deadline), support's decisions, or
    /// work on an account that is already running: refusing those would leave money reserved longer, not shed load.
    /// </summary>
    public virtual bool MayShed => false;

    /// <summary>When the shard queued it (<see cref="System.Diagnostics.Stopwatch"/> ticks): its wait is the shard's load.</summary>
    internal long QueuedAt { get; set; }
}

/// <summary>The command's shard is too far behind to take new work (<see cref="EngineOptions.MaxQueueDelay"/>):
/// nothing was queued, decided or written; the API answers 503 <c>try_again</c> with Retry-After.</summary>
public sealed class EngineBusyException(int shard, TimeSpan behind)
    : Exception($"Shard {shard} is {behind.TotalMilliseconds:0} ms behind; new money movement is refused until it catches up.");

public sealed class DepositCommand(Deposit deposit) : EngineCommand
{
    public override bool MayShed => true;
    public Deposit Deposit { get; } = deposit;
    public override string RoutingAccount => Deposit.AccountId;
}

public sealed class WithdrawCommand(Withdraw withdraw) : EngineCommand
{
    public override bool MayShed => true;
    public Withdraw Withdraw { get; } = withdraw;
    public override string RoutingAccount => Withdraw.AccountId;
}

public sealed class PayCommand(Pay pay) : EngineCommand
{
    public override bool MayShed => true;
    public Pay Pay { get; } = pay;
    public override string RoutingAccount => Pay.PayerAccountId;
}

/// <summary>Sent by the payer's shard to the payee's after a commit; redelivered from the store after a restart.</summary>
public sealed class CreditCommand(CreditPayee credit) : EngineCommand
{
    public CreditPayee Credit { get; } = credit;
    public override string RoutingAccount => Credit.PayeeAccountId;
}

public sealed class ConvertCommand(ConvertFunds convert) : EngineCommand
{
    public override bool MayShed => true;
    public ConvertFunds Convert { get; } = convert;
    public override string RoutingAccount => Convert.AccountId;
}

/// <summary>Protection commands on a completed payment: decided by the payee's shard (the payee's money moves first).</summary>
public abstract class ProtectionCommand(string paymentId, string payerAccountId, string payeeAccountId) : EngineCommand
{
    public string PaymentId { get; } = paymentId;
    public string PayerAccountId { get; } = payerAccountId;
    public string PayeeAccountId { get; } = payeeAccountId;
    public override string RoutingAccount => PayeeAccountId;
}

public sealed class RefundCommand(string paymentId, string payer, string payee, Domain.Protection.RefundPayment refund) : ProtectionCommand(paymentId, payer, payee)
{
    public override bool MayShed => true;
    public Domain.Protection.RefundPayment Refund { get; } = refund;
}

public sealed class OpenDisputeCommand(string paymentId, string payer, string payee, Domain.Protection.OpenDispute open) : ProtectionCommand(paymentId, payer, payee)
{
    public override bool MayShed => true;
    public Domain.Protection.OpenDispute Open { get; } = open;
}

public sealed class ResolveDisputeCommand(string disputeId, string paymentId, string payer, string payee, Domain.Protection.ResolveDispute resolve) : ProtectionCommand(paymentId, payer, payee)
{
    public string DisputeId { get; } = disputeId;
    public Domain.Protection.ResolveDispute Resolve { get; } = resolve;
}

public sealed class ReleaseHoldCommand(string paymentId, string payer, string payee, Domain.Protection.ReleaseHold release) : ProtectionCommand(paymentId, payer, payee)
{
    public Domain.Protection.ReleaseHold Release { get; } = release;
}

/// <summary>To the payer's shard, after the payee's committed: credit money given back through transit.</summary>
public sealed class ReturnCommand(Domain.Protection.ReturnFunds funds) : EngineCommand
{
    public Domain.Protection.ReturnFunds Funds { get; } = funds;
    public override string RoutingAccount => Funds.AccountId;
}

/// <summary>
/// The risk verdict on a payment waiting for one, to the payer's shard: the fraud pipeline's decision, or — when
/// <see cref="Decision"/> is null — "the deadline passed, let the rules decide now". Applied only to a payment still
/// pending its decision, so redelivered and late verdicts change nothing.
/// </summary>
public sealed class VerdictCommand(string paymentId, string payerAccountId, RiskDecision? decision) : EngineCommand
{
    public string PaymentId { get; } = paymentId;
    public string PayerAccountId { get; } = payerAccountId;
    public RiskDecision? Decision { get; } = decision;
    public override string RoutingAccount => PayerAccountId;
}

/// <summary>Support's review of a payment in review, to the payer's shard (where its reserve is).</summary>
public sealed class ReviewCommand(string payerAccountId, ReviewPayment review) : EngineCommand
{
    public string PayerAccountId { get; } = payerAccountId;
    public ReviewPayment Review { get; } = review;
    public override string RoutingAccount => PayerAccountId;
}

public sealed class ReverseCommand(ReversePayment reverse) : EngineCommand
{
    public ReversePayment Reverse { get; } = reverse;
    public override string RoutingAccount => Reverse.PayerAccountId;
}

/// <summary>
/// Work that must not interleave with money movement on one account (closing, suspending, deleting it): run alone by
/// the account's shard writer, given the account's closure blockers and a fence to add to its transaction.
/// </summary>
public sealed class ExclusiveCommand(string accountId, Func<IReadOnlyList<string>, ShardFence, Task<object?>> run) : EngineCommand
{
    public string AccountId { get; } = accountId;
    public Func<IReadOnlyList<string>, ShardFence, Task<object?>> Run { get; } = run;
    public TaskCompletionSource<object?> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public override string RoutingAccount => AccountId;
}

/// <summary>Adds the shard's version check to a session of someone else's, and learns whether it committed.</summary>
public sealed class ShardFence(int shard, long expected)
{
    public bool Committed { get; private set; }

    public void Apply(IDocumentSession session) =>
        session.QueueSqlCommand(LedgerSql.AdvanceShard, expected + 1, expected, shard);

    public void MarkCommitted() => Committed = true;
}
