using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using HdrHistogram;

// ops/bench: open-loop load at a fixed rate against a running Ledger (ops/run), latency measured from each request's
// scheduled start (so a stall is charged to every request it delays: no coordinated omission).
var options = BenchOptions.Parse(args);
using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
using var http = new HttpClient(handler) { BaseAddress = new Uri(options.Url), Timeout = TimeSpan.FromSeconds(30) };

Console.WriteLine($"Ledger bench: {options.Scenario} against {options.Url}, {options.Rate}/s for {options.Seconds} s (+{options.WarmupSeconds} s warm-up), {options.Accounts} accounts");
var clients = await Setup.AccountsAsync(http, options);

var results = options.Scenario switch
{
    "account-edits" => await Run.OpenLoopAsync(options, (i, random) => Scenarios.EditAsync(http, clients, i, random)),
    _ => throw new ArgumentException($"Unknown scenario '{options.Scenario}'. Known: account-edits."),
};
Report.Print(options, results);

internal sealed record BenchOptions(string Scenario, string Url, int Rate, int Seconds, int WarmupSeconds, int Accounts, int Subjects)
{
    public static BenchOptions Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var index = Array.IndexOf(args, "--" + name);
            return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
        }

        var scenario = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "account-edits";
        return new BenchOptions(
            scenario,
            Get("url", "http://127.0.0.1:8080"),
            int.Parse(Get("rate", "100"), CultureInfo.InvariantCulture),
            int.Parse(Get("seconds", "60"), CultureInfo.InvariantCulture),
            int.Parse(Get("warmup", "15"), CultureInfo.InvariantCulture),
            int.Parse(Get("accounts", "200"), CultureInfo.InvariantCulture),
            int.Parse(Get("subjects", "20"), CultureInfo.InvariantCulture));
    }
}

internal sealed record BenchAccount(string Id, AuthenticationHeaderValue Auth);

internal static class Setup
{
    public static async Task<List<BenchAccount>> AccountsAsync(HttpClient http, BenchOptions options)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var tokens = new List<AuthenticationHeaderValue>();
        for (var s = 0; s < options.Subjects; s++)
        {
            var response = await http.PostAsJsonAsync("/v1/dev/tokens", new { subject = $"bench-{run}-{s}", roles = new[] { "customer" } });
            response.EnsureSuccessStatusCode();
            var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
            tokens.Add(new AuthenticationHeaderValue("Bearer", token));
        }

        var accounts = new List<BenchAccount>();
        for (var a = 0; a < options.Accounts; a++)
        {
            var auth = tokens[a % tokens.Count];
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/accounts")
            {
                Content = JsonContent.Create(new { username = $"b{run}{a}", name = $"Bench Person {a}", email = $"bench{a}@example.com" }),
            };
            request.Headers.Authorization = auth;
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            accounts.Add(new BenchAccount(id, auth));
        }

        return accounts;
    }
}

internal static class Scenarios
{
    public static async Task<bool> EditAsync(HttpClient http, List<BenchAccount> accounts, long i, Random random)
    {
        var account = accounts[random.Next(accounts.Count)];
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/v1/accounts/{account.Id}")
        {
            Content = JsonContent.Create(i % 2 == 0 ? (object)new { name = $"Bench Person {i}" } : new { email = $"bench{i}@example.com" }),
        };
        request.Headers.Authorization = account.Auth;
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode;
    }
}

internal sealed record RunResult(LongHistogram Latency, long Ok, long Errors, double ElapsedSeconds);

internal static class Run
{
    public static async Task<RunResult> OpenLoopAsync(BenchOptions options, Func<long, Random, Task<bool>> operation)
    {
        var histogram = new LongHistogram(TimeStamp.Seconds(60), 3);
        long ok = 0, errors = 0;
        var total = (long)options.Rate * (options.Seconds + options.WarmupSeconds);
        var warmup = (long)options.Rate * options.WarmupSeconds;
        var interval = Stopwatch.Frequency / (double)options.Rate;
        var inflight = new List<Task>();
        var clock = Stopwatch.StartNew();
        var measuredStart = 0L;
        for (long i = 0; i < total; i++)
        {
            var scheduled = (long)(i * interval);
            while (clock.ElapsedTicks < scheduled)
            {
                var waitMs = (scheduled - clock.ElapsedTicks) * 1000 / Stopwatch.Frequency;
                if (waitMs > 1)
                {
                    await Task.Delay((int)waitMs - 1);
                }
                else
                {
                    Thread.SpinWait(50);
                }
            }

            if (i == warmup)
            {
                measuredStart = clock.ElapsedTicks;
            }

            var index = i;
            var measured = i >= warmup;
            inflight.Add(Task.Run(async () =>
            {
                var success = false;
                try
                {
                    success = await operation(index, Random.Shared);
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }

                if (!measured)
                {
                    return;
                }

                var latencyTicks = clock.ElapsedTicks - scheduled;
                lock (histogram)
                {
                    histogram.RecordValue(latencyTicks * 1_000_000 / Stopwatch.Frequency);
                }

                Interlocked.Increment(ref success ? ref ok : ref errors);
            }));
        }

        await Task.WhenAll(inflight);
        return new RunResult(histogram, ok, errors, (clock.ElapsedTicks - measuredStart) / (double)Stopwatch.Frequency);
    }
}

internal static class Report
{
    public static void Print(BenchOptions options, RunResult result)
    {
        static string Ms(long micros) => (micros / 1000.0).ToString("0.00", CultureInfo.InvariantCulture);
        var h = result.Latency;
        Console.WriteLine();
        Console.WriteLine("| scenario | target rate/s | achieved/s | ok | errors | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {options.Scenario} | {options.Rate} | {(result.Ok + result.Errors) / result.ElapsedSeconds:0.0} | {result.Ok} | {result.Errors} | {Ms(h.GetValueAtPercentile(50))} | {Ms(h.GetValueAtPercentile(90))} | {Ms(h.GetValueAtPercentile(99))} | {Ms(h.GetValueAtPercentile(99.9))} | {Ms(h.GetMaxValue())} |"));
    }
}
