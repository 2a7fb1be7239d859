using System.Diagnostics;
using Npgsql;

namespace Ledger.Testing;

/// <summary>
/// One real PostgreSQL per test run. <c>ops/test</c> starts it once and passes <c>LEDGER_TEST_PG</c> so every test
/// project shares it; run from an IDE, the first test starts one from the machine's binaries (as the postgres user
/// when we are root) and stops it when the process exits. Each test class gets its own database.
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);
    private readonly string _adminConnectionString;

    private PostgresServer(string adminConnectionString) => _adminConnectionString = adminConnectionString;

    public static Task<PostgresServer> InstanceAsync() => Shared.Value;

    public static string BinDirectory =>
        Environment.GetEnvironmentVariable("LEDGER_TEST_PG_BIN") is { Length: > 0 } bin ? bin : "/usr/lib/postgresql/15/bin";

    /// <summary>Creates a fresh database (dropping any leftover of the same name) and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        var database = Sanitize(name);
        await using (var connection = new NpgsqlConnection(_adminConnectionString))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"drop database if exists \"{database}\" with (force)", connection);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand($"create database \"{database}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = database, MaxPoolSize = 40 }.ConnectionString;
    }

    public NpgsqlConnectionStringBuilder Admin => new(_adminConnectionString);

    private static string Sanitize(string name)
    {
        var cleaned = new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        return cleaned.Length > 60 ? cleaned[..60] : cleaned;
    }

    private static async Task<PostgresServer> StartAsync()
    {
        if (Environment.GetEnvironmentVariable("LEDGER_TEST_PG") is { Length: > 0 } shared)
        {
            return new PostgresServer(new NpgsqlConnectionStringBuilder(shared) { Database = "postgres", Pooling = false }.ConnectionString);
        }

        RemoveLeftoversOfDeadRuns();
        var dataDir = Path.Combine(Path.GetTempPath(), "ledger-test-pg-" + Environment.ProcessId);
        var port = Ports.Free();
        if (Directory.Exists(dataDir))
        {
            Directory.Delete(dataDir, recursive: true);
        }

        Directory.CreateDirectory(dataDir);
        if (IsRoot)
        {
            await RunAsync("chown", $"postgres {dataDir}");
        }

        await RunPgAsync("initdb", $"-D {dataDir} -A trust -U postgres --encoding=UTF8 --locale=C");
        await RunPgAsync("pg_ctl", $"-D {dataDir} -l {dataDir}/server.log -w -t 60 -o \"-p {port} -k {dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300\" start");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            RunPgAsync("pg_ctl", $"-D {dataDir} -m immediate -w stop").GetAwaiter().GetResult();
            Directory.Delete(dataDir, recursive: true);
        };
        return new PostgresServer($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false");
    }

    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>A test host killed before its exit handler ran leaves its data folder behind: sweep those of dead processes.</summary>
    private static void RemoveLeftoversOfDeadRuns()
    {
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), "ledger-test-pg-*"))
        {
            if (int.TryParse(Path.GetFileName(dir)["ledger-test-pg-".Length..], out var pid) && !Directory.Exists($"/proc/{pid}"))
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }
        }
    }

    private static Task RunPgAsync(string tool, string arguments) =>
        IsRoot
            ? RunAsync("runuser", $"-u postgres -- {Path.Combine(BinDirectory, tool)} {arguments}")
            : RunAsync(Path.Combine(BinDirectory, tool), arguments);

    private static async Task RunAsync(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} failed ({process.ExitCode}): {await stdout} {await stderr}");
        }
    }
}
