using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Ledger.Api.Tests.Money;

public class bank_hosts : ApiHosts
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings =>
    [
        new("RateLimiting:PermitsPerSecond", "100000"),
        new("RateLimiting:Burst", "100000"),
        .. MoneyFixtures.RatesSettings(),
    ];
}

/// <summary>
/// The bank test (issue 3): 32 concurrent clients make thousands of random payments among 20 funded accounts over real
/// HTTP, retrying some with the same Idempotency-Key, while a few withdrawals run too; a quarter of the payments are
/// received in another currency (JPY, KWD, CHF), converted through the fx account. Then the whole ledger is audited.
/// </summary>
public class bank_test(bank_hosts hosts) : IClassFixture<bank_hosts>
{
    private const int Accounts = 20;
    private const int Clients = 32;
    private const int PaymentsPerClient = 110;
    private const long InitialDeposit = 500_00;
    private static readonly string[] PayeeCurrencies = ["JPY", "KWD", "CHF"];

    [Fact]
    public async Task money_is_conserved_never_negative_and_every_acknowledged_payment_exists_exactly_once()
    {
        await using var factory = new HostFactory<Ledger.CommandApi.Accounts.CreateAccountRequest>(hosts.Settings(), "Development", hosts.Logs);
        var port = Ports.Free();
        factory.UseKestrel(port);
        factory.StartServer();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var owners = Enumerable.Range(0, Accounts).Select(i => $"bank-owner-{i}").ToArray();
        var tokens = owners.ToDictionary(o => o, o => hosts.Token(o));
        var accounts = new string[Accounts];
        for (var i = 0; i < Accounts; i++)
        {
            var created = await SendAsync(http, tokens[owners[i]], HttpMethod.Post, "/v1/accounts",
                $$"""{"username":"{{AccountFixtures.UniqueUsername("bank")}}","name":"Bank {{i}}","email":"bank{{i}}@example.com"}""", key: null);
            accounts[i] = JsonDocument.Parse(created.Body).RootElement.GetProperty("id").GetString()!;
            var deposit = await SendAsync(http, tokens[owners[i]], HttpMethod.Post, "/v1/deposits",
                $$"""{"accountId":"{{accounts[i]}}","amount":{"amount":"{{InitialDeposit / 100}}.00","currency":"USD"},"reference":"opening"}""", Guid.NewGuid().ToString());
            deposit.Status.Should().Be(201);
        }

        var firstAnswers = new ConcurrentDictionary<string, (int Status, string Body)>();
        var retryMismatches = new ConcurrentBag<string>();
        var created201 = new ConcurrentBag<string>();
        long withdrawn = 0;
        long paymentsAttempted = 0;
        var statuses = new ConcurrentDictionary<int, int>();

        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            var random = new Random(c * 7919);
            var retries = new List<(string Key, string Path, string Body, string Token)>();
            for (var n = 0; n < PaymentsPerClient; n++)
            {
                var payer = random.Next(Accounts);
                var token = tokens[owners[payer]];
                var key = Guid.NewGuid().ToString();
                string path, body;
                if (random.Next(20) == 0)
                {
                    path = "/v1/withdrawals";
                    body = $$"""{"accountId":"{{accounts[payer]}}","amount":{"amount":"1.00","currency":"USD"},"reference":"atm"}""";
                }
                else
                {
                    var payee = (payer + 1 + random.Next(Accounts - 1)) % Accounts;
                    var cents = 1 + random.Next(5_000);
                    path = "/v1/payments";
                    Interlocked.Increment(ref paymentsAttempted);
                    // Converted payments are small: the USD they sell leaves the USD pool for good.
                    var convert = random.Next(4) == 0;
                    if (convert)
                    {
                        cents = 1 + random.Next(500);
                    }

                    var payeeCurrency = convert ? $$""","payeeCurrency":"{{PayeeCurrencies[random.Next(PayeeCurrencies.Length)]}}" """ : string.Empty;
                    body = $$"""{"payerAccountId":"{{accounts[payer]}}","payeeAccountId":"{{accounts[payee]}}","amount":{"amount":"{{cents / 100}}.{{cents % 100:00}}","currency":"USD"}{{payeeCurrency}},"purpose":"{{(random.Next(3) == 0 ? "purchase" : "personal")}}"}""";
                }

                var answer = await SendAsync(http, token, HttpMethod.Post, path, body, key);
                statuses.AddOrUpdate(answer.Status, 1, (_, v) => v + 1);
                if (answer.Status == 201)
                {
                    firstAnswers[key] = answer;
                    var id = JsonDocument.Parse(answer.Body).RootElement.GetProperty("id").GetString()!;
                    created201.Add(id);
                    if (path == "/v1/withdrawals")
                    {
                        Interlocked.Add(ref withdrawn, 100);
                    }

                    if (random.Next(4) == 0)
                    {
                        retries.Add((key, path, body, token));
                    }
                }

                // Retry some earlier requests now, while other clients keep paying.
                if (retries.Count > 0 && random.Next(3) == 0)
                {
                    var (k, p, b, t) = retries[random.Next(retries.Count)];
                    var again = await SendAsync(http, t, HttpMethod.Post, p, b, k);
                    if (again != firstAnswers[k])
                    {
                        retryMismatches.Add($"{k}: {again.Status} {again.Body} vs {firstAnswers[k].Status} {firstAnswers[k].Body}");
                    }
                }
            }
        })));

        statuses.Keys.Should().OnlyContain(s => s == 201 || s == 422, "payments either happen or are refused for a business reason");
        paymentsAttempted.Should().BeGreaterThanOrEqualTo(3_000, "the issue asks for at least 3,000 random payments");
        created201.Count.Should().BeGreaterThanOrEqualTo(2_500);
        retryMismatches.Should().BeEmpty("every retry returns the original response");
        firstAnswers.Values.Count(a => a.Body.Contains("\"fxRate\"", StringComparison.Ordinal) && !a.Body.Contains("\"fxRate\":null", StringComparison.Ordinal))
            .Should().BeGreaterThan(300, "a quarter of the payments convert");

        // Protection, concurrently: payees refund (fully or partly), payers dispute purchases, support resolves them.
        var purchases = firstAnswers.Values
            .Select(a => JsonDocument.Parse(a.Body).RootElement)
            .Where(p => p.TryGetProperty("purpose", out var purpose) && purpose.GetString() == "purchase" && p.GetProperty("status").GetString() == "completed")
            .Select(p => (Id: p.GetProperty("id").GetString()!, Payer: Array.IndexOf(accounts, p.GetProperty("payerAccountId").GetString()), Payee: Array.IndexOf(accounts, p.GetProperty("payeeAccountId").GetString()),
                Currency: p.GetProperty("settledAmount").GetProperty("currency").GetString()!))
            .Take(400)
            .ToList();
        var support = hosts.Token("bank-support", "support");
        var protection = new ConcurrentDictionary<string, int>();
        await Task.WhenAll(purchases.Chunk(25).Select((chunk, c) => Task.Run(async () =>
        {
            var random = new Random(c * 104_729);
            foreach (var (id, payer, payee, currency) in chunk)
            {
                switch (random.Next(4))
                {
                    case 0:
                    case 1:
                        // A partial refund is one minor unit of the currency the payee received.
                        var unit = currency switch { "JPY" => "1", "KWD" => "0.001", _ => "0.01" };
                        var partial = random.Next(2) == 0 ? $$"""{"amount":{"amount":"{{unit}}","currency":"{{currency}}"},"reason":"partial"}""" : """{"reason":"full"}""";
                        var refund = await SendAsync(http, tokens[owners[payee]], HttpMethod.Post, $"/v1/payments/{id}/refunds", partial, Guid.NewGuid().ToString());
                        protection.AddOrUpdate($"refund {refund.Status}", 1, (_, n) => n + 1);
                        break;
                    default:
                        var opened = await SendAsync(http, tokens[owners[payer]], HttpMethod.Post, $"/v1/payments/{id}/disputes",
                            $$"""{"reason":"{{(random.Next(3) == 0 ? "unauthorized" : "not_received")}}"}""", Guid.NewGuid().ToString());
                        protection.AddOrUpdate($"dispute {opened.Status}", 1, (_, n) => n + 1);
                        if (opened.Status == 201)
                        {
                            var dispute = JsonDocument.Parse(opened.Body).RootElement.GetProperty("id").GetString();
                            var resolved = await SendAsync(http, support, HttpMethod.Post, $"/v1/disputes/{dispute}/resolve",
                                $$"""{"outcome":"{{(random.Next(2) == 0 ? "buyer" : "seller")}}"}""", Guid.NewGuid().ToString());
                            protection.AddOrUpdate($"resolve {resolved.Status}", 1, (_, n) => n + 1);
                        }

                        break;
                }
            }
        })));

        var summary = string.Join(", ", protection.Select(kv => $"{kv.Key}: {kv.Value}"));
        protection.Keys.Should().OnlyContain(k => k.EndsWith(" 200", StringComparison.Ordinal) || k.EndsWith(" 201", StringComparison.Ordinal) || k.EndsWith(" 422", StringComparison.Ordinal),
            "protection either happens or is refused for a business reason ({0})", summary);
        protection.GetValueOrDefault("refund 201").Should().BeGreaterThan(50, summary);
        protection.GetValueOrDefault("dispute 201").Should().BeGreaterThan(50, summary);
        protection.GetValueOrDefault("resolve 200").Should().Be(protection.GetValueOrDefault("dispute 201"), "every opened dispute is resolved ({0})", summary);

        await LedgerInvariants.WaitForSettlementAsync(hosts.ConnectionString);
        await LedgerInvariants.AssertAsync(hosts.ConnectionString, new Dictionary<string, long> { ["USD"] = Accounts * InitialDeposit - withdrawn, ["JPY"] = 0, ["KWD"] = 0, ["CHF"] = 0 });

        await using var connection = new NpgsqlConnection(hosts.ConnectionString);
        await connection.OpenAsync();
        var ids = created201.ToArray();
        ids.Distinct().Should().HaveCount(ids.Length, "no two acknowledgements name the same payment");
        var stored = await LedgerInvariants.RowsAsync(connection,
            "select count(*) from ledger.mt_doc_paymentrecord where id = any(array[" + string.Join(',', ids.Where(i => i.StartsWith("pay_", StringComparison.Ordinal)).Select(i => $"'{i}'")) + "])");
        ((long)stored[0][0]).Should().Be(ids.Count(i => i.StartsWith("pay_", StringComparison.Ordinal)), "every acknowledged payment is stored exactly once");
        var allPayments = await LedgerInvariants.RowsAsync(connection, "select count(*) from ledger.mt_doc_paymentrecord");
        ((long)allPayments[0][0]).Should().Be(ids.Count(i => i.StartsWith("pay_", StringComparison.Ordinal)), "no payment exists that nobody was told about");
    }

    /// <summary>One request as a well-behaved client sends it: a 503 <c>try_again</c> (a shard behind past
    /// Engine:MaxQueueDelay on a stalled host; nothing was applied) is retried with the same key after Retry-After,
    /// so it never reaches the assertions, which still see every other answer.</summary>
    private static async Task<(int Status, string Body)> SendAsync(HttpClient http, string token, HttpMethod method, string path, string json, string? key)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (key is not null)
            {
                request.Headers.Add("Idempotency-Key", key);
            }

            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable && key is not null && attempt < 30 && body.Contains("\"try_again\"", StringComparison.Ordinal))
            {
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                continue;
            }

            return ((int)response.StatusCode, body);
        }
    }
}
