using System.Collections.Immutable;
using Ledger.Domain.Accounts;
using Ledger.Domain.Ledger;
using Ledger.Domain.Payments;
using Ledger.Projections.Audit;
using Ledger.Projections.Money;
using Ledger.Projections.Store;
using Ledger.Testing;
using Marten;
using Npgsql;

namespace Ledger.Projections.Tests;

/// <summary>A store on a database of its own, with the ledger's and the audit chain's tables.</summary>
public abstract class AuditStoreFixture : IAsyncLifetime
{
    public DocumentStore Store { get; private set; } = null!;
    public string ConnectionString { get; private set; } = string.Empty;
    public byte[] Key { get; } = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    protected abstract string Name { get; }

    public async Task InitializeAsync()
    {
        var server = await PostgresServer.InstanceAsync();
        ConnectionString = await server.CreateDatabaseAsync(Name);
        Store = DocumentStore.For(opts => LedgerStore.Configure(opts, ConnectionString));
        await Store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await using var connection = await OpenAsync();
        await LedgerSql.EnsureAsync(connection, CancellationToken.None);
        await AuditSql.EnsureAsync(connection, CancellationToken.None);
    }

    public async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = Store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        return connection;
    }

    public ChainSealer Sealer(TimeSpan? maxWait = null) => new(() => Store.Storage.Database.CreateConnection(), Key, maxWait);

    public async Task DisposeAsync() => await Store.DisposeAsync();
}

/// <summary>
/// Writes history the way the engine does: account streams through Marten, money through <see cref="LedgerCommit"/>
/// with the balances (folded by <see cref="MoneyDecider.Evolve"/>) and history lines in the same transaction.
/// </summary>
public sealed class AuditSeed(DocumentStore store)
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 20, 9, 0, 0, TimeSpan.Zero);
    private readonly Dictionary<string, AccountFunds> _funds = new(StringComparer.Ordinal);
    private readonly LedgerTables _tables = new(store);

    public IReadOnlyList<string> Accounts => [.. _funds.Keys];

    public async Task OpenAccountsAsync(int count)
    {
        await using var session = store.LightweightSession();
        for (var i = 0; i < count; i++)
        {
            var id = Ids.NewAccountId();
            session.Events.StartStream<AccountState>(id,
                new AccountOpened(id, "owner", "user" + id[^8..], new Protected("c1", "f1"), new Protected("c2", "f2"), AccountStatus.Active, T0));
            _funds[id] = new AccountFunds(id, "owner", AccountStatus.Active, ImmutableDictionary<string, Balance>.Empty, Velocity.None, 0);
        }

        await session.SaveChangesAsync();
    }

    /// <summary>One batch: a deposit into every account, then a payment from each to the next.</summary>
    public async Task MoveMoneyAsync(int round)
    {
        var at = T0.AddMinutes(round);
        var accounts = Accounts;
        var commit = new LedgerCommit(_tables);
        var entries = new List<LedgerEntry>();
        var touched = new HashSet<string>(StringComparer.Ordinal);
        var payments = new List<PaymentRecord>();
        void Apply(string stream, bool fresh, params MoneyEvent[] events)
        {
            if (fresh)
            {
                commit.StartStream(stream, events);
            }
            else
            {
                commit.AppendToStream(stream, events);
            }

            foreach (var e in events)
            {
                foreach (var account in e.Postings.Select(p => p.Account).Where(a => !SystemAccounts.IsSystem(a)).Distinct())
                {
                    var before = _funds[account];
                    var after = MoneyDecider.Evolve(before, e);
                    var seq = before.EntryCount;
                    foreach (var (currency, amount) in MoneyDecider.EntriesFor(account, e))
                    {
                        seq++;
                        entries.Add(new LedgerEntry { AccountId = account, Seq = seq, Kind = "seed", Currency = currency, Amount = amount, BalanceAfter = after.BalanceIn(currency).Total, OccurredAt = e.At });
                    }

                    _funds[account] = after;
                    touched.Add(account);
                }
            }
        }

        for (var i = 0; i < accounts.Count; i++)
        {
            var deposit = Ids.New(Ids.DepositPrefix);
            Apply(deposit, true, new FundsDeposited(deposit, accounts[i], 1_000, "USD", "seed",
                Postings.Move("USD", 1_000, SystemAccounts.Settlement, Bucket.Available, accounts[i], Bucket.Available), at));
        }

        for (var i = 0; i < accounts.Count; i++)
        {
            var (payer, payee) = (accounts[i], accounts[(i + 1) % accounts.Count]);
            var payment = Ids.New(Ids.PaymentPrefix);
            var amount = 100 + i;
            MoneyEvent[] events =
            [
                new PaymentInitiated(payment, payer, payee, amount, "USD", "personal", "for Alice's birthday", null, "owner", at),
                new PaymentFundsReserved(payment, Postings.Move("USD", amount, payer, Bucket.Available, payer, Bucket.Pending), at),
                new PaymentCompleted(payment, Postings.Move("USD", amount, payer, Bucket.Pending, payee, Bucket.Available), at),
            ];
            Apply(payment, true, events);
            var record = new PaymentRecord();
            foreach (var e in events)
            {
                PaymentRecords.Apply(record, e);
            }

            payments.Add(record);
        }

        commit.Upsert(touched.Select(id => new AccountBalances
        {
            Id = id,
            Balances = new Dictionary<string, Balance>(_funds[id].Balances, StringComparer.Ordinal),
            EntryCount = _funds[id].EntryCount,
            Revision = round + 1,
        }).ToList(), b => b.Id);
        commit.Upsert(payments, p => p.Id);
        commit.Sql(LedgerSql.InsertEntries,
            entries.Select(e => e.AccountId).ToArray(), entries.Select(e => e.Seq).ToArray(), entries.Select(e => e.Kind).ToArray(),
            entries.Select(e => e.PaymentId).ToArray(), entries.Select(e => e.TransactionId).ToArray(), entries.Select(e => e.Currency).ToArray(),
            entries.Select(e => e.Amount).ToArray(), entries.Select(e => e.BalanceAfter).ToArray(), entries.Select(e => e.Counterparty).ToArray(),
            entries.Select(e => e.OccurredAt).ToArray());
        await using var connection = store.Storage.Database.CreateConnection();
        await connection.OpenAsync();
        await commit.ExecuteAsync(connection, CancellationToken.None);
    }
}
