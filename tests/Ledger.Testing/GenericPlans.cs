using System.Text.RegularExpressions;
using Npgsql;

namespace Ledger.Testing;

/// <summary>The plan PostgreSQL keeps for a prepared statement run under given plan settings (Ledger's
/// <c>PlanSettings</c>): prepared by name, explained with every parameter null (a generic plan does not look at them).</summary>
public static partial class GenericPlans
{
    public static async Task<string> ExplainAsync(NpgsqlConnection connection, string settings, string sql)
    {
        var parameters = Parameter().Matches(sql).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
        await using var tx = await connection.BeginTransactionAsync();
        await RunAsync(connection, settings);
        await RunAsync(connection, $"prepare plan_under_test as {sql}");
        try
        {
            var args = parameters == 0 ? string.Empty : $"({string.Join(", ", Enumerable.Repeat("null", parameters))})";
            await using var explain = new NpgsqlCommand($"explain execute plan_under_test{args}", connection);
            var lines = new List<string>();
            await using (var reader = await explain.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    lines.Add(reader.GetString(0));
                }
            }

            return string.Join('\n', lines);
        }
        finally
        {
            await RunAsync(connection, "deallocate plan_under_test"); // prepared statements outlive a rollback
            await tx.RollbackAsync();
        }
    }

    /// <summary>The statements prepared on this connection's session (Npgsql prepares a statement from its second
    /// use), with how many of their executions ran on a generic plan and how many were planned anew.</summary>
    public static async Task<List<(string Statement, long Generic, long Custom)>> PreparedAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("select statement, generic_plans, custom_plans from pg_prepared_statements", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var prepared = new List<(string, long, long)>();
        while (await reader.ReadAsync())
        {
            prepared.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return prepared;
    }

    private static async Task RunAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [GeneratedRegex(@"\$(\d+)")]
    private static partial Regex Parameter();
}
