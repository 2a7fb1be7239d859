using System.Net.Http.Json;
using System.Text.Json;

namespace Ledger.Api.Tests.Money;

public static class MoneyFixtures
{
    /// <summary>
    /// Writes a rates file in the ECB daily-reference format, dated yesterday, with round rates the tests can compute
    /// by hand: per EUR, 1.08 USD, 162 JPY, 0.33 KWD, 0.95 CHF (so USD→JPY mid 150, JPY→KWD 0.0020370370, KWD→USD 3.2727272727).
    /// Returns settings that point the CommandApi at it.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string?>> RatesSettings(string spread = "0.005", string maxRateAge = "7.00:00:00")
    {
        var path = Path.Combine(Path.GetTempPath(), $"ledger-rates-{Guid.NewGuid():N}.xml");
        var day = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllText(path, Fx.FxFixtures.Daily(
            "<Cube currency='USD' rate='1.08'/><Cube currency='JPY' rate='162.00'/><Cube currency='KWD' rate='0.33'/><Cube currency='CHF' rate='0.95'/>",
            day));
        return [new("Fx:Provider", "file"), new("Fx:RatesFile", path), new("Fx:Spread", spread), new("Fx:MaxRateAge", maxRateAge)];
    }

    public static object Amount(string amount, string currency = "USD") => new { amount, currency };

    public static Task<HttpResponseMessage> PostWithKeyAsync(this LedgerClient client, string url, object body, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key ?? Guid.NewGuid().ToString());
        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostRawWithKeyAsync(this LedgerClient client, string url, string json, string key, string? prefer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", key);
        if (prefer is not null)
        {
            request.Headers.Add("Prefer", prefer);
        }

        return client.SendAsync(request);
    }

    public static async Task DepositAsync(LedgerClient client, string accountId, string amount, string currency = "USD")
    {
        var response = await client.PostWithKeyAsync("/v1/deposits", new { accountId, amount = Amount(amount, currency), reference = "top-up" });
        response.StatusCode.Should().Be(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    public static async Task<string> FundedAccountAsync(LedgerClient client, string amount = "100.00", string currency = "USD")
    {
        var (id, _) = await AccountFixtures.CreateAsync(client);
        await DepositAsync(client, id, amount, currency);
        return id;
    }

    /// <summary>Polls <paramref name="read"/> until it answers <paramref name="expected"/> (money crossing shards
    /// settles after the answer), failing after 10 s.</summary>
    public static async Task EventuallyAsync(Func<Task<string>> read, string expected)
    {
        var actual = string.Empty;
        await EventuallyAsync(async () => (actual = await read()) == expected, () => $"expected {expected}, still {actual}", TimeSpan.FromSeconds(10));
    }

    /// <summary>Polls <paramref name="condition"/> every 20 ms until it holds, failing after <paramref name="within"/>
    /// (30 s by default) with <paramref name="because"/> (read at the failure, so it can describe the last state seen).
    /// The one polling loop of the API tests.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, Func<string> because, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, because());
            await Task.Delay(20);
        }
    }

    public static async Task<JsonElement> BalanceAsync(LedgerClient client, string accountId, string currency = "USD")
    {
        var response = await client.GetAsync($"/v1/accounts/{accountId}/balances");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var balances = await response.JsonAsync();
        foreach (var balance in balances.EnumerateArray())
        {
            if (balance.GetProperty("currency").GetString() == currency)
            {
                return balance;
            }
        }

        return JsonDocument.Parse($$"""{"currency":"{{currency}}","available":"0","pending":"0","held":"0"}""").RootElement;
    }

    public static async Task<string> AvailableAsync(LedgerClient client, string accountId, string currency = "USD") =>
        (await BalanceAsync(client, accountId, currency)).GetProperty("available").GetString()!;

    public static object Payment(string payer, string payee, string amount, string currency = "USD", string purpose = "personal") =>
        new { payerAccountId = payer, payeeAccountId = payee, amount = Amount(amount, currency), purpose };

    /// <summary>Accounts owned by <paramref name="client"/>'s subject until two land in the same shard and two in different ones.</summary>
    public static async Task<(string A, string SameShardAsA, string OtherShard)> ShardedTrioAsync(ApiHosts hosts, LedgerClient client, LedgerClient payees)
    {
        var engine = hosts.Engine;
        var a = await FundedAccountAsync(client);
        string? same = null, other = null;
        while (same is null || other is null)
        {
            var (id, _) = await AccountFixtures.CreateAsync(payees);
            if (engine.ShardOf(id) == engine.ShardOf(a))
            {
                same ??= id;
            }
            else
            {
                other ??= id;
            }
        }

        return (a, same, other);
    }
}
