using System.Collections.Immutable;
using System.Diagnostics;
using Ledger.Domain.Accounts;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Projections.Audit;
using Ledger.Projections.Money;
using Ledger.Projections.Store;
using Marten;

// Seeds deposits and payments the way the engine writes them (LedgerCommit: events, balances, history in one
// transaction per batch), then times, from cold: replay (read + fold + compare), sealing from zero, verification.
var connection = Arg("--connection") ?? throw new ArgumentException("--connection is required");
var payments = int.Parse(Arg("--payments") ?? "200000", System.Globalization.CultureInfo.InvariantCulture);
var accountCount = int.Parse(Arg("--accounts") ?? "1000", System.Globalization.CultureInfo.InvariantCulture);
const int Batch = 1_000;

await using var store = DocumentStore.For(opts => LedgerStore.Configure(opts, connection));
await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
await using (var ddl = store.Storage.Database.CreateConnection())
{
    await ddl.OpenAsync();
    await LedgerSql.EnsureAsync(ddl, CancellationToken.None);
    await AuditSql.EnsureAsync(ddl, CancellationToken.None);
}

var tables = new LedgerTables(store);
var funds = new Dictionary<string, AccountFunds>(StringComparer.Ordinal);
var accounts = Enumerable.Range(0, accountCount).Select(_ => Ids.NewAccountId()).ToArray();
var at = DateTimeOffset.UtcNow;
var seeding = Stopwatch.StartNew();
await Commit(accounts.Select(a =>
{
    funds[a] = new AccountFunds(a, "bench", AccountStatus.Active, ImmutableDictionary<string, Balance>.Empty, Velocity.None, 0);
    var id = Ids.New(Ids.DepositPrefix);
    return (id, new MoneyEvent[] { new FundsDeposited(id, a, 10_000_000, "USD", "bench", Postings.Move("USD", 10_000_000, SystemAccounts.Settlement, Bucket.Available, a, Bucket.Available), at) });
}).ToList());
var random = new Random(7);
for (var done = 0; done < payments; done += Batch)
{
    var streams = new List<(string, MoneyEvent[])>();
    for (var i = 0; i < Math.Min(Batch, payments - done); i++)
    {
        var payer = accounts[random.Next(accounts.Length)];
        var payee = accounts[random.Next(accounts.Length)];
        var id = Ids.New(Ids.PaymentPrefix);
        var amount = random.Next(1, 5_000);
        streams.Add((id,
        [
            new PaymentInitiated(id, payer, payee, amount, "USD", "personal", null, null, "bench", at),
            new PaymentFundsReserved(id, Postings.Move("USD", amount, payer, Bucket.Available, payer, Bucket.Pending), at),
            new PaymentCompleted(id, Postings.Move("USD", amount, payer, Bucket.Pending, payee, Bucket.Available), at),
        ]));
    }

    await Commit(streams);
}

seeding.Stop();
var total = await Scalar("select count(*) from ledger.mt_events");
var legged = await Scalar("select count(*) from ledger.mt_events where data ? 'legs'");
Console.WriteLine($"seeded {total:N0} events ({legged:N0} with postings), {accountCount:N0} accounts in {seeding.Elapsed.TotalSeconds:N1} s");
await Scalar("vacuum analyze ledger.mt_events");

var clock = Stopwatch.StartNew();
var report = await new BalanceReplay(store).RunAsync(null, CancellationToken.None);
var replaySeconds = clock.Elapsed.TotalSeconds;
if (!report.Matches)
{
    throw new InvalidOperationException("replay found differences in a freshly seeded ledger");
}

clock.Restart();
var sealer = new ChainSealer(() => store.Storage.Database.CreateConnection(), System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
long sealedCount = 0;
SealResult sealedNow;
do
{
    sealedNow = await sealer.SealAsync(CancellationToken.None);
    sealedCount += sealedNow.Sealed;
}
while (sealedNow.Sealed > 0);
var sealSeconds = clock.Elapsed.TotalSeconds;

Console.WriteLine();
Console.WriteLine("| operation | events | seconds | events/s |");
Console.WriteLine("|---|---|---|---|");
Console.WriteLine($"| replay: read every event with postings, fold with MoneyDecider.Evolve, compare with {report.Accounts:N0} balance documents and the history | {report.Events:N0} | {replaySeconds:N2} | **{report.Events / replaySeconds:N0}** |");
Console.WriteLine($"| seal from zero (hash chain + volume projection + signed checkpoint per {ChainSealer.PageSize:N0}) | {sealedCount:N0} | {sealSeconds:N2} | {sealedCount / sealSeconds:N0} |");
return 0;

async Task Commit(List<(string Id, MoneyEvent[] Events)> streams)
{
    var commit = new LedgerCommit(tables);
    var entries = new List<LedgerEntry>();
    var touched = new HashSet<string>(StringComparer.Ordinal);
    foreach (var (id, events) in streams)
    {
        commit.StartStream(id, events);
        foreach (var e in events)
        {
            foreach (var account in e.Postings.Select(p => p.Account).Where(a => !SystemAccounts.IsSystem(a)).Distinct())
            {
                var before = funds[account];
                var after = MoneyDecider.Evolve(before, e);
                var seq = before.EntryCount;
                foreach (var (currency, amount) in MoneyDecider.EntriesFor(account, e))
                {
                    entries.Add(new LedgerEntry { AccountId = account, Seq = ++seq, Kind = "bench", Currency = currency, Amount = amount, BalanceAfter = after.BalanceIn(currency).Total, OccurredAt = e.At });
                }

                funds[account] = after;
                touched.Add(account);
            }
        }
    }

    commit.Upsert(touched.Select(a => new AccountBalances
    {
        Id = a,
        Balances = new Dictionary<string, Balance>(funds[a].Balances, StringComparer.Ordinal),
        EntryCount = funds[a].EntryCount,
        Revision = 1,
    }).ToList(), b => b.Id);
    commit.Sql(LedgerSql.InsertEntries,
        entries.Select(e => e.AccountId).ToArray(), entries.Select(e => e.Seq).ToArray(), entries.Select(e => e.Kind).ToArray(),
        entries.Select(e => e.PaymentId).ToArray(), entries.Select(e => e.TransactionId).ToArray(), entries.Select(e => e.Currency).ToArray(),
        entries.Select(e => e.Amount).ToArray(), entries.Select(e => e.BalanceAfter).ToArray(), entries.Select(e => e.Counterparty).ToArray(),
        entries.Select(e => e.OccurredAt).ToArray());
    await using var db = store.Storage.Database.CreateConnection();
    await db.OpenAsync();
    await commit.ExecuteAsync(db, CancellationToken.None);
}

async Task<long> Scalar(string sql)
{
    await using var db = store.Storage.Database.CreateConnection();
    await db.OpenAsync();
    await using var command = new Npgsql.NpgsqlCommand(sql, db);
    return Convert.ToInt64(await command.ExecuteScalarAsync() ?? 0L);
}

string? Arg(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
