using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ledger.Cli;
using Ledger.Projections.Audit;
using Ledger.Projections.Store;
using Marten;

// ops/ledger: operator commands against the ledger's PostgreSQL. Connection and keys come from options or from the
// same environment variables the services read (ConnectionStrings__Ledger, Audit__SigningKey, Export__PseudonymKey).
// Exit codes: 0 done and consistent, 2 done and a difference or fault found, 1 error.
var json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
var connectionOption = new Option<string?>("--connection") { Description = "PostgreSQL connection string (default: $ConnectionStrings__Ledger)" };

var asOf = new Option<string?>("--as-of") { Description = "replay only events up to this ISO 8601 instant (compared with the history at that instant)" };
var rebuild = new Option<bool>("--rebuild") { Description = "rewrite the AccountBalances documents, the account views and the volume table from the events (drain the API first)" };
var replay = new Command("replay", "Rebuild every account's balances from the raw events and report differences from the projections.") { asOf, rebuild };
replay.SetAction(async (parse, ct) =>
{
    await using var store = Store(parse.GetValue(connectionOption));
    DateTimeOffset? instant = null;
    if (parse.GetValue(asOf) is { } text)
    {
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            Console.Error.WriteLine("--as-of must be an ISO 8601 instant, e.g. 2026-11-24T09:00:00Z");
            return 1;
        }

        instant = parsed;
    }

    if (parse.GetValue(rebuild) && instant is not null)
    {
        Console.Error.WriteLine("--rebuild rebuilds the present: it cannot be combined with --as-of");
        return 1;
    }

    var started = System.Diagnostics.Stopwatch.StartNew();
    var report = parse.GetValue(rebuild)
        ? await ProjectionRebuild.RebuildAllAsync(store, ct)
        : await new BalanceReplay(store).RunAsync(instant, ct);
    Console.WriteLine(JsonSerializer.Serialize(report, json));
    Console.Error.WriteLine($"{report.Events:N0} events, {report.Accounts:N0} accounts in {started.Elapsed.TotalSeconds:N2} s: {(report.Matches ? "projections match" : $"{report.Differences.Count} differences")}{(report.Rebuilt ? "; projections rebuilt" : string.Empty)}");
    return report.Matches || report.Rebuilt ? 0 : 2;
});

var verify = new Command("verify", "Seal what is final, then recompute the hash chain and name the first tampered event.");
verify.SetAction(async (parse, ct) =>
{
    var key = Key("Audit__SigningKey", "the audit signing key");
    await using var store = Store(parse.GetValue(connectionOption));
    await new ChainSealer(() => store.Storage.Database.CreateConnection(), key).SealAsync(ct);
    await using var connection = store.Storage.Database.CreateConnection();
    await connection.OpenAsync(ct);
    var report = await ChainVerifier.VerifyAsync(connection, key, ct);
    Console.WriteLine(JsonSerializer.Serialize(report, json));
    return report.Valid ? 0 : 2;
});

var day = new Option<string>("--day") { Description = "the UTC day to export, YYYY-MM-DD", Required = true };
var output = new Option<string>("--out") { Description = "directory for postings-DAY.parquet and payments-DAY.parquet", Required = true };
var export = new Command("export", "Write a day's postings and payments as pseudonymised Parquet files.") { day, output };
export.SetAction(async (parse, ct) =>
{
    if (!DateOnly.TryParseExact(parse.GetValue(day), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
    {
        Console.Error.WriteLine("--day must be YYYY-MM-DD");
        return 1;
    }

    var key = Key("Export__PseudonymKey", "the export pseudonym key");
    await using var store = Store(parse.GetValue(connectionOption));
    var result = await new WarehouseExport(store, key).ExportAsync(date, parse.GetValue(output)!, ct);
    Console.WriteLine($"{result.PostingsFile}: {result.Postings} postings");
    Console.WriteLine($"{result.PaymentsFile}: {result.Payments} payments");
    return 0;
});

var root = new RootCommand("Ledger operator commands: replay, verify, export.") { replay, verify, export };
root.Options.Add(connectionOption);
connectionOption.Recursive = true;
return await root.Parse(args).InvokeAsync();

static DocumentStore Store(string? connection)
{
    var connectionString = connection ?? Environment.GetEnvironmentVariable("ConnectionStrings__Ledger")
        ?? throw new InvalidOperationException("No connection: pass --connection or set ConnectionStrings__Ledger.");
    return DocumentStore.For(opts => LedgerStore.Configure(opts, connectionString));
}

static byte[] Key(string variable, string what)
{
    var encoded = Environment.GetEnvironmentVariable(variable);
    if (string.IsNullOrEmpty(encoded))
    {
        throw new InvalidOperationException($"{variable} is not set: {what} is needed (base64, at least 32 bytes).");
    }

    var key = Convert.FromBase64String(encoded);
    return key.Length >= 32 ? key : throw new InvalidOperationException($"{variable} must be at least 32 bytes.");
}
