using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Ledger.Domain.Accounts;
using Ledger.Domain.Payments;
using Ledger.Projections.Money;
using Ledger.Projections.Accounts;
using Ledger.Projections.Privacy;
using Marten;
using Marten.Events;
using Weasel.Core;

namespace Ledger.Projections.Store;

/// <summary>The one place the event store is configured; every host and test calls <see cref="Configure"/>.</summary>
public static class LedgerStore
{
    /// <summary>Events, streams and read models.</summary>
    public const string Schema = "ledger";

    /// <summary>Per-person keys live apart from the events (their own schema; a KMS in a later deployment).</summary>
    public const string KeySchema = "ledger_keys";

    /// <summary>
    /// Connection settings measured to matter on the hot paths (ops/bench account-edits): statements are prepared
    /// after two uses (saves a parse and plan per statement), and a pooled connection is not reset with DISCARD ALL on
    /// every return (a round trip per session; Marten sets no session state that could leak). Explicit values in the
    /// configured connection string win.
    /// </summary>
    public static string Tune(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }

        if (!connectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase))
        {
            builder.NoResetOnClose = true;
        }

        // Plans are made for each execution, not cached once: a statement prepared while a table was still small
        // (a new database) otherwise keeps a sequential-scan plan until autovacuum's first ANALYZE, minutes later.
        // Measured on a fresh database (ops/bench): the idempotency look-up by key went from 0.06 ms to 13.6 ms as
        // its table grew under a cached plan, and payments/s fell by half within a minute. Preparing still saves the
        // parse; re-planning these short statements costs microseconds.
        if (!connectionString.Contains("plan_cache_mode", StringComparison.OrdinalIgnoreCase))
        {
            builder.Options = string.IsNullOrEmpty(builder.Options) ? "-c plan_cache_mode=force_custom_plan" : builder.Options + " -c plan_cache_mode=force_custom_plan";
        }

        return builder.ConnectionString;
    }

    public static void Configure(StoreOptions opts, string connectionString)
    {
        opts.Connection(Tune(connectionString));
        opts.DatabaseSchemaName = Schema;
        opts.AutoCreateSchemaObjects = AutoCreate.CreateOrUpdate;
        opts.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);

        opts.Events.StreamIdentity = StreamIdentity.AsString;
        opts.Events.AppendMode = EventAppendMode.Quick;
        // Not UseExclusiveLockOnConcurrentAppends: it serialises every shard's commit on one lock (measured: the engine
        // then commits like a single writer). Gaps in the global sequence from rolled-back batches are the async
        // daemon's business (its high-water mark waits them out), not the append path's.
        EventNames.Register(opts.Events);
        // Every append (Marten's, and the engine's set-based commit, which sends the same signal) wakes the async
        // daemon at once: the Kafka bridge's commit -> subscription latency is milliseconds instead of a ~1 s poll
        // (MARTEN9.md). The daemon falls back to polling while its LISTEN connection is down.
        opts.Events.UseListenNotifyForEventAppends = true;

        // The account state is the write model and the view's source; inline, so it commits with its events.
        opts.Projections.Add<AccountStateProjection>(ProjectionLifecycle.Inline);
        opts.Projections.Errors.SkipApplyErrors = false;
        opts.Projections.Errors.SkipSerializationErrors = false;
        opts.Projections.Errors.SkipUnknownEvents = false;

        opts.Schema.For<UsernameClaim>().Identity(x => x.Id);
        opts.Schema.For<PersonKey>().Identity(x => x.Id).DatabaseSchemaName(KeySchema);

        opts.Schema.For<AccountBalances>().Identity(x => x.Id);
        opts.Schema.For<PaymentRecord>().Identity(x => x.Id)
            .Index(x => x.PayerAccountId)
            .Index(x => x.PayeeAccountId)
            .Index(x => x.Status)
            // The risk-hold expiry job looks for held payments every minute: a partial index keeps that a look-up of
            // the few held ones instead of a scan of every payment (measured: a scan every minute showed as ~150 ms
            // stalls in the mixed bench once 200,000 payments existed).
            .Index(x => x.HeldUntil, idx => idx.Predicate = $"data ->> 'hold' = '{PaymentHolds.Held}'");
        opts.Schema.For<TransactionRecord>().Identity(x => x.Id);
        opts.Schema.For<Ledger.Domain.Fx.FxQuote>().Identity(x => x.Id);
        opts.Schema.For<DisputeRecord>().Identity(x => x.Id)
            .Index(x => x.PayerAccountId)
            .Index(x => x.PayeeAccountId);
        opts.Schema.For<PendingReturn>().Identity(x => x.Id);
        opts.Schema.For<Fraud.FraudAnalysis>().Identity(x => x.Id)
            .Index(x => x.PaymentId)
            .Index(x => x.PayerAccountId)
            .Index(x => x.PayeeAccountId)
            .Index(x => x.AnalyzedAt);
        opts.Schema.For<Fraud.FraudAlert>().Identity(x => x.Id)
            .Index(x => x.AccountId)
            .Index(x => x.CreatedAt);
    }
}

/// <summary>Stored event names: explicit, versioned, never derived from CLR type names (CONVENTIONS rule 4).</summary>
public static class EventNames
{
    private static readonly (Type Type, string Name)[] All =
    [
        (typeof(AccountOpened), "account_opened.v1"),
        (typeof(AccountUsernameChanged), "account_username_changed.v1"),
        (typeof(AccountNameChanged), "account_name_changed.v1"),
        (typeof(AccountEmailChanged), "account_email_changed.v1"),
        (typeof(AccountSuspended), "account_suspended.v1"),
        (typeof(AccountReactivated), "account_reactivated.v1"),
        (typeof(AccountClosed), "account_closed.v1"),
        (typeof(AccountPersonalDataErased), "account_personal_data_erased.v1"),
        (typeof(FundsDeposited), "funds_deposited.v1"),
        (typeof(FundsWithdrawn), "funds_withdrawn.v1"),
        (typeof(PaymentInitiated), "payment_initiated.v1"),
        (typeof(PaymentFundsReserved), "payment_funds_reserved.v1"),
        (typeof(PaymentRiskAssessed), "payment_risk_assessed.v1"),
        (typeof(PaymentCompleted), "payment_completed.v1"),
        (typeof(PaymentReviewed), "payment_reviewed.v1"),
        (typeof(PaymentRejected), "payment_rejected.v1"),
        (typeof(PaymentSentToPayee), "payment_sent_to_payee.v1"),
        (typeof(PaymentCreditRefused), "payment_credit_refused.v1"),
        (typeof(PaymentReversed), "payment_reversed.v1"),
        (typeof(PaymentConversionPriced), "payment_conversion_priced.v1"),
        (typeof(FundsConverted), "funds_converted.v1"),
        (typeof(Ledger.Domain.Protection.PaymentRefunded), "payment_refunded.v1"),
        (typeof(Ledger.Domain.Protection.FundsReturned), "funds_returned.v1"),
        (typeof(Ledger.Domain.Protection.DisputeOpened), "dispute_opened.v1"),
        (typeof(Ledger.Domain.Protection.DisputeResolved), "dispute_resolved.v1"),
        (typeof(Ledger.Domain.Protection.ReceivableRepaid), "receivable_repaid.v1"),
        (typeof(Ledger.Domain.Protection.PaymentFundsHeld), "payment_funds_held.v1"),
        (typeof(Ledger.Domain.Protection.PaymentHoldReleased), "payment_hold_released.v1"),
    ];

    private static readonly Dictionary<Type, string> ByType = All.ToDictionary(x => x.Type, x => x.Name);

    private static readonly Dictionary<string, Type> ByName = All.ToDictionary(x => x.Name, x => x.Type, StringComparer.Ordinal);

    /// <summary>The event type stored under <paramref name="name"/>, if any (replay reads raw rows).</summary>
    public static Type? TypeOf(string name) => ByName.GetValueOrDefault(name);

    public static void Register(IEventStoreOptions events)
    {
        foreach (var (type, name) in All)
        {
            events.MapEventType(type, name);
        }
    }

    /// <summary>The stored name of an event type; an unregistered type is a bug and throws.</summary>
    public static string NameOf(Type type) => ByType.TryGetValue(type, out var name)
        ? name
        : throw new InvalidOperationException($"Event type {type.Name} has no stored name in EventNames.");
}
