using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using HdrHistogram;

/// <summary>
/// Issue 7's depth target: one account with <c>--postings</c> entries (deposits through the API, default 100,000), then
/// point-in-time reads timed one after another through the gateway: balances as of a random instant of the history,
/// statements (JSON, CSV, PDF) of about 1,000 entries at a random place in it, a statement of the whole history, and
/// the trial balance. The target is &lt; 200 ms at that depth.
/// </summary>
internal static class StatementBench
{
    private const int Step = 1000;

    public static async Task RunAsync(HttpClient http, BenchOptions options, List<BenchAccount> accounts)
    {
        var account = accounts[0];
        var instants = await LoadAsync(http, options, account);
        var auditor = await TokenAsync(http, "bench-auditor", "auditor");
        var random = new Random(7);

        string Iso(DateTimeOffset t) => Uri.EscapeDataString(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        string Window()
        {
            var i = random.Next(instants.Count - 1);
            return $"from={Iso(instants[i])}&asOf={Iso(instants[i + 1])}";
        }

        Console.WriteLine();
        Console.WriteLine("| read (sequential, through the gateway) | requests | p50 ms | p90 ms | p99 ms | max ms | response |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        await TimeAsync(http, account.Auth, "balances?asOf= (random instant)", 300, "application/json",
            () => $"/v1/accounts/{account.Id}/balances?asOf={Iso(instants[random.Next(instants.Count)])}");
        await TimeAsync(http, account.Auth, $"statement JSON (~{Step} entries, random window)", 200, "application/json", () => $"/v1/accounts/{account.Id}/statement?{Window()}");
        await TimeAsync(http, account.Auth, $"statement CSV (~{Step} entries)", 100, "text/csv", () => $"/v1/accounts/{account.Id}/statement?{Window()}");
        await TimeAsync(http, account.Auth, $"statement PDF (~{Step} entries)", 50, "application/pdf", () => $"/v1/accounts/{account.Id}/statement?{Window()}");
        await TimeAsync(http, account.Auth, "statement JSON, empty window at the newest instant (deepest probes)", 100, "application/json",
            () => $"/v1/accounts/{account.Id}/statement?from={Iso(instants[^2])}&asOf={Iso(instants[^1])}");
        await TimeAsync(http, account.Auth, $"statement JSON, whole history ({options.Postings} entries)", 5, "application/json", () => $"/v1/accounts/{account.Id}/statement");
        await TimeAsync(http, auditor, "trial-balance (whole ledger)", 20, "application/json", () => "/v1/ledger/trial-balance");
    }

    /// <summary>Deposits from <c>--concurrency</c> clients until the account has the wanted entries; an instant is
    /// noted after every <see cref="Step"/> of them.</summary>
    private static async Task<List<DateTimeOffset>> LoadAsync(HttpClient http, BenchOptions options, BenchAccount account)
    {
        var instants = new List<DateTimeOffset> { DateTimeOffset.UtcNow };
        long done = 0, next = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(c => Task.Run(async () =>
        {
            var random = new Random(c);
            while (Interlocked.Increment(ref next) <= options.Postings)
            {
                var cents = random.Next(1, 100);
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/deposits")
                {
                    Content = JsonContent.Create(new { accountId = account.Id, amount = new { amount = $"0.{cents:00}", currency = "USD" }, reference = "bench" }),
                };
                request.Headers.Authorization = account.Auth;
                request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
                using var response = await http.SendAsync(request);
                response.EnsureSuccessStatusCode();
                if (Interlocked.Increment(ref done) % Step == 0)
                {
                    lock (instants)
                    {
                        instants.Add(DateTimeOffset.UtcNow);
                    }
                }
            }
        })));
        instants.Add(DateTimeOffset.UtcNow);
        instants.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"loaded {done} deposits into one account in {clock.Elapsed.TotalSeconds:0.0} s ({done / clock.Elapsed.TotalSeconds:0}/s)"));
        return instants;
    }

    private static async Task TimeAsync(HttpClient http, AuthenticationHeaderValue auth, string name, int count, string accept, Func<string> url)
    {
        var histogram = new LongHistogram(TimeStamp.Seconds(60), 3);
        long bytes = 0;
        for (var i = -Math.Min(10, count); i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url());
            request.Headers.Authorization = auth;
            request.Headers.Accept.ParseAdd(accept);
            var started = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsByteArrayAsync();
            var micros = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{name}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
            }

            if (i >= 0)
            {
                histogram.RecordValue(micros);
                bytes += body.Length;
            }
        }

        static string Ms(long micros) => (micros / 1000.0).ToString("0.0", CultureInfo.InvariantCulture);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {count} | {Ms(histogram.GetValueAtPercentile(50))} | {Ms(histogram.GetValueAtPercentile(90))} | {Ms(histogram.GetValueAtPercentile(99))} | {Ms(histogram.GetMaxValue())} | {bytes / count / 1024.0:0.0} KB |"));
    }

    private static async Task<AuthenticationHeaderValue> TokenAsync(HttpClient http, string subject, string role)
    {
        var response = await http.PostAsJsonAsync("/v1/dev/tokens", new { subject, roles = new[] { role } });
        response.EnsureSuccessStatusCode();
        return new AuthenticationHeaderValue("Bearer", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!);
    }
}
