namespace Ledger.Projections.Store;

/// <summary>
/// How the hot write paths' statements are planned: once, and only through indexes.
/// <para>
/// Every connection runs with <c>plan_cache_mode=force_custom_plan</c> (<see cref="LedgerStore.Tune"/>), so PostgreSQL
/// plans each execution. For the statements that run hundreds of times a second — the engine's commit, the fraud
/// consumer's write, the Kafka bridge's read — that planning was a third of PostgreSQL's statement time
/// (<c>pg_stat_statements.track_planning</c>, ops/bench/README.md "Planning once"). Those transactions start with
/// <see cref="GenericIndexPlans"/>: their prepared statements keep one generic plan, and that plan may not scan a
/// table, hash it or merge with it, so it reaches stored rows only by index look-ups, nested in the batch's own rows.
/// </para>
/// <para>
/// Why not generic plans everywhere: a generic plan is made once, from the statistics of that moment, and kept until
/// the table is next analysed. Made while a table is new and empty, it can read the whole table for every look-up as
/// the table grows (measured, ops/bench/README.md "Custom plans per execution"). With scans and hash or merge joins
/// ruled out, these statements have no plan to get wrong: each reads by primary key whatever the statistics say, and
/// none joins the batch's rows to each other. Reports and queries keep custom plans, where the data decides the plan.
/// </para>
/// The settings are local to the transaction (<c>set_config(..., true)</c>): a pooled connection returns to the pool
/// without them. A pool that only ever runs such statements (<see cref="IndexPlannedSessions"/>) starts its
/// connections with them instead (<see cref="ConnectionOptions"/>).
/// </summary>
public static class PlanSettings
{
    private static readonly (string Name, string Value)[] Settings =
    [
        ("plan_cache_mode", "force_generic_plan"),
        ("enable_seqscan", "off"),
        ("enable_hashjoin", "off"),
        ("enable_mergejoin", "off"),
    ];

    /// <summary>The first statement of a hot write transaction (or of a batch run as one implicit transaction).</summary>
    public static readonly string GenericIndexPlans = "select " + string.Join(", ", Settings.Select(s => $"set_config('{s.Name}', '{s.Value}', true)"));

    /// <summary>The same settings as connection start-up options, for the life of every connection of a pool.</summary>
    public static readonly string ConnectionOptions = string.Join(" ", Settings.Select(s => $"-c {s.Name}={s.Value}"));
}
