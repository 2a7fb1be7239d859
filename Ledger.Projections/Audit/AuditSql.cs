using Npgsql;

namespace Ledger.Projections.Audit;

/// <summary>
/// The hash chain's tables and the guards that make history append-only (docs/decisions.md "Audit").
/// Created idempotently at start-up, after Marten's schema (it puts triggers on Marten's <c>mt_events</c>).
/// </summary>
public static class AuditSql
{
    /// <summary>SQLSTATE raised by any UPDATE, DELETE or TRUNCATE of the event log, its hashes or its checkpoints.</summary>
    public const string AppendOnlySqlState = "LA001";

    /// <summary>Advisory lock key held (per transaction) by whoever seals: one sealer at a time across processes.</summary>
    public const long SealerLockKey = 4207;

    private static readonly string Schema = Store.LedgerStore.Schema;

    public static string Ddl => $"""
        -- One row per sealed event, in global sequence order: hash = SHA-256(prev_hash || canonical content).
        create table if not exists {Schema}.event_hashes (
            seq_id bigint primary key,
            event_id uuid not null,
            hash bytea not null,
            prev_hash bytea not null,
            sealed_at timestamptz not null default now());

        -- The chain head signed (HMAC-SHA256, Audit:SigningKey) at the end of every sealing transaction: rewriting the
        -- whole chain consistently needs the key, which the database never sees.
        create table if not exists {Schema}.chain_checkpoints (
            seq_id bigint primary key,
            sealed_count bigint not null,
            hash bytea not null,
            key_id text not null,
            signature bytea not null,
            created_at timestamptz not null default now());

        -- Analytics (GET /v1/analytics/volume): counts and sums per hour, currency and kind, maintained by the sealer
        -- in the same transaction as the hashes of the events it counts (exactly once, off the engine's hot path).
        create table if not exists {Schema}.volume_hourly (
            hour timestamptz not null,
            currency text not null,
            kind text not null,
            count bigint not null,
            amount bigint not null,
            primary key (hour, currency, kind));

        create or replace function {Schema}.refuse_history_rewrite() returns trigger
        language plpgsql as $fn$
        begin
            raise exception 'ledger history is append-only: % on %.% is refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
                using errcode = '{AppendOnlySqlState}';
        end
        $fn$;

        create or replace trigger mt_events_append_only before update or delete on {Schema}.mt_events
            for each row execute function {Schema}.refuse_history_rewrite();
        create or replace trigger mt_events_no_truncate before truncate on {Schema}.mt_events
            for each statement execute function {Schema}.refuse_history_rewrite();
        create or replace trigger event_hashes_append_only before update or delete on {Schema}.event_hashes
            for each row execute function {Schema}.refuse_history_rewrite();
        create or replace trigger event_hashes_no_truncate before truncate on {Schema}.event_hashes
            for each statement execute function {Schema}.refuse_history_rewrite();
        create or replace trigger chain_checkpoints_append_only before update or delete on {Schema}.chain_checkpoints
            for each row execute function {Schema}.refuse_history_rewrite();
        create or replace trigger chain_checkpoints_no_truncate before truncate on {Schema}.chain_checkpoints
            for each statement execute function {Schema}.refuse_history_rewrite();
        """;

    public static async Task EnsureAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Same lock as LedgerSql's DDL: hosts starting together create these once.
        await using (var lockCommand = new NpgsqlCommand("select pg_advisory_xact_lock(4201)", connection, tx))
        {
            await lockCommand.ExecuteNonQueryAsync(ct);
        }

        await using (var ddl = new NpgsqlCommand(Ddl, connection, tx))
        {
            await ddl.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }
}
