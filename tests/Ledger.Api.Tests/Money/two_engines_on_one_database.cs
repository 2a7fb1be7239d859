using System.Collections.Concurrent;
using System.Net.Http.Json;
using static Ledger.Api.Tests.Money.MoneyFixtures;

namespace Ledger.Api.Tests.Money;

public class two_engines_hosts : ApiHosts
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings =>
    [
        new("RateLimiting:PermitsPerSecond", "100000"),
        new("RateLimiting:Burst", "100000"),
    ];
}

/// <summary>
/// A failover gone wrong: two CommandApi processes, each with its own engine and in-memory balances, write the same
/// shards of one database at once. The shard version check must fence whichever is stale, so that nothing is
/// overdrawn, lost or applied twice.
/// </summary>
public class two_engines_on_one_database(two_engines_hosts hosts) : IClassFixture<two_engines_hosts>
{
    [Fact]
    public async Task the_stale_writer_is_fenced_and_the_ledger_stays_whole()
    {
        await using var second = new HostFactory<Ledger.CommandApi.Accounts.CreateAccountRequest>(hosts.Settings(), "Development", hosts.Logs);
        var engines = new[] { hosts.Command.CreateClient(), second.CreateClient() };
        using var owner = hosts.ClientFor("twin-owner");
        var accounts = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            accounts.Add(await FundedAccountAsync(owner, "50.00"));
        }

        var token = hosts.Token("twin-owner");
        foreach (var engine in engines)
        {
            engine.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }

        var created = new ConcurrentBag<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            for (var n = 0; n < 40; n++)
            {
                var payer = random.Next(accounts.Count);
                var payee = (payer + 1 + random.Next(accounts.Count - 1)) % accounts.Count;
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/payments")
                {
                    Content = JsonContent.Create(Payment(accounts[payer], accounts[payee], $"{1 + random.Next(9)}.{random.Next(100):00}")),
                };
                request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
                using var response = await engines[(c + n) % 2].SendAsync(request);
                statuses.AddOrUpdate((int)response.StatusCode, 1, (_, v) => v + 1);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    created.Add((await response.JsonAsync()).GetProperty("id").GetString()!);
                }
            }
        })));

        statuses.Keys.Should().OnlyContain(s => s == 201 || s == 422 || s == 503, "a fenced command is refused as retryable, never half-applied");
        created.Should().NotBeEmpty();
        hosts.Logs.Lines.Should().Contain(l => l.Contains("was written by another writer", StringComparison.Ordinal),
            "two writers on the same shards must have collided at least once for this test to mean anything");

        await LedgerInvariants.WaitForSettlementAsync(hosts.ConnectionString);
        await LedgerInvariants.AssertAsync(hosts.ConnectionString, new Dictionary<string, long> { ["USD"] = accounts.Count * 50_00 });
        var ids = created.ToArray();
        ids.Distinct().Should().HaveCount(ids.Length);
        (await Db.ScalarAsync<long>(hosts.ConnectionString, "select count(*) from ledger.mt_doc_paymentrecord")).Should().Be(ids.Length,
            "every stored payment was acknowledged, and every acknowledged one is stored");
        foreach (var engine in engines)
        {
            engine.Dispose();
        }
    }
}
