using Marten;
using Marten.Services;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Ledger.Projections.Store;

/// <summary>
/// Marten's command logging, replaced. Marten's default logger writes every failed command at Error level with each
/// parameter's value and the exception's full stack trace. Failed commands here are expected and handled by their
/// callers — an edit that loses an optimistic-concurrency race is decided again, a taken username answers 409 — and
/// the values of account commands have no place in a log (a username claim's id is a username). Measured at 200 payments/s +
/// 100 edits/s (ops/bench/README.md, "Afternoon of 2026-11-26"): ~1.2 such entries a second, each a 40-line stack
/// trace resolved against the PDBs on a busy core. This logger keeps the statement's SQLSTATE and its first line
/// (parameterised SQL, no values) at Debug; callers log what matters to them.
/// </summary>
public sealed class LedgerMartenLogger(ILogger<LedgerMartenLogger> logger) : IMartenLogger, IMartenSessionLogger
{
    public IMartenSessionLogger StartSession(IQuerySession session) => this;

    public void SchemaChange(string sql) => logger.LogInformation("Marten changed the schema: {Sql}", sql);

    public void LogSuccess(NpgsqlCommand command)
    {
    }

    public void LogSuccess(NpgsqlBatch batch)
    {
    }

    public void LogFailure(NpgsqlCommand command, Exception ex) => Failed(command.CommandText, ex);

    /// <summary>Names the statement that failed (Npgsql says which), not the batch's first.</summary>
    public void LogFailure(NpgsqlBatch batch, Exception ex) =>
        Failed((ex as NpgsqlException)?.BatchCommand?.CommandText ?? (batch.BatchCommands.Count > 0 ? batch.BatchCommands[0].CommandText : string.Empty), ex);

    public void LogFailure(Exception ex, string message)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            logger.LogDebug("Marten: {Message} ({Error})", message, Describe(ex));
        }
    }

    public void RecordSavedChanges(IDocumentSession session, IChangeSet commit)
    {
    }

    public void OnBeforeExecute(NpgsqlCommand command)
    {
    }

    public void OnBeforeExecute(NpgsqlBatch batch)
    {
    }

    private void Failed(string sql, Exception ex)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var firstLine = sql.AsSpan().TrimStart();
            var end = firstLine.IndexOfAny('\r', '\n');
            logger.LogDebug("A Marten command failed ({Error}): {Statement}", Describe(ex), (end < 0 ? firstLine : firstLine[..end]).ToString());
        }
    }

    /// <summary>The error's type and SQLSTATE only: PostgreSQL's message and detail can quote the values.</summary>
    private static string Describe(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is PostgresException pg)
            {
                return $"{ex.GetType().Name}, SQLSTATE {pg.SqlState}";
            }
        }

        return ex.GetType().Name;
    }
}
