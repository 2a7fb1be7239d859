using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Ledger.Api.Tests.Platform;

public class front_hosts : ApiHosts;

/// <summary>
/// The embedded default's one URL as <c>ops/run</c> serves it: the machine's nginx, started from the configuration
/// <see cref="NginxFront"/> renders, in front of real CommandApi, QueryApi and .NET gateway sockets. The newcomer's
/// scenarios of <see cref="serving_one_url"/> run through it, and what nginx answers by itself is checked here.
/// </summary>
public class through_the_nginx_front(front_hosts hosts) : serving_one_url(hosts), IClassFixture<front_hosts>
{
    private NginxServer? _front;

    protected override Uri OneUrl => _front!.Url;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _front = await NginxServer.StartAsync(new($"http://127.0.0.1:{CommandPort}"), new($"http://127.0.0.1:{QueryPort}"), GatewayUrl);
    }

    public override async Task DisposeAsync()
    {
        _front?.Dispose();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task a_request_that_cannot_be_read_as_http_is_a_400_problem_never_a_5xx()
    {
        foreach (var request in new[] { "GARBAGE\r\n\r\n", "GET /v1/accounts HTTP/9.9\r\nHost: x\r\n\r\n", "GET /v1/accounts HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n" })
        {
            var (status, headers, body) = await _front!.RawAsync(request);
            status.Should().Be(400, request);
            headers.Should().Contain("Content-Type: application/problem+json", request);
            JsonDocument.Parse(body).RootElement.GetProperty("code").GetString().Should().Be("validation_failed", request);
        }
    }

    [Fact]
    public async Task an_oversized_body_reaches_the_service_which_refuses_it_as_a_413_problem()
    {
        using var http = new HttpClient { BaseAddress = OneUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Hosts.Token("front-big"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/deposits")
        {
            Content = new StringContent("{\"reference\":\"" + new string('a', 200_000) + "\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());

        using var response = await http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await response.JsonAsync()).GetProperty("code").GetString().Should().Be("payload_too_large");
    }

    [Fact]
    public async Task a_service_that_is_not_answering_is_a_503_problem_to_retry()
    {
        // A second front whose QueryApi is a port nobody listens on: reads fail over to nothing; commands still work.
        using var front = await NginxServer.StartAsync(new($"http://127.0.0.1:{CommandPort}"), new($"http://127.0.0.1:{Ports.Free()}"), GatewayUrl);
        using var http = new HttpClient { BaseAddress = front.Url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Hosts.Token("front-down"));

        using var read = await http.GetAsync("/v1/accounts/acc_0000000000");

        read.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        read.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(1));
        read.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await read.JsonAsync()).GetProperty("code").GetString().Should().Be("try_again");
        using var command = await http.PostAsync("/v1/accounts", new StringContent("{}", Encoding.UTF8, "application/json"));
        command.StatusCode.Should().Be(HttpStatusCode.BadRequest, "CommandApi answers its own validation through the same front");
    }
}

/// <summary>The rendered route table against the .NET gateway's: the same requests go to QueryApi.</summary>
public class rendering_the_nginx_front
{
    private static readonly NginxFront.Settings Settings = new("127.0.0.1:8080", "http://127.0.0.1:8081", "http://127.0.0.1:8082", "http://127.0.0.1:8084", "/srv/front");

    /// <summary>The map's keys as nginx evaluates them (PCRE, case-insensitive on "$request_method $uri").</summary>
    private static bool RoutesToQuery(string method, string path) =>
        NginxFront.QueryRoutes().Any(r => Regex.IsMatch($"{method} {path}", $"^({string.Join('|', r.Methods)}) {r.Pattern}", RegexOptions.IgnoreCase));

    [Theory]
    [InlineData("GET", "/v1/accounts/acc_1", true)]
    [InlineData("GET", "/v1/Accounts/acc_1/transactions", true)]
    [InlineData("HEAD", "/v1/accounts", true)]
    [InlineData("GET", "/v1/payments/pay_1", true)]
    [InlineData("GET", "/v1/ledger/trial-balance", true)]
    [InlineData("POST", "/v1/audit/replay", true)]
    [InlineData("GET", "/v1/fraud/analyses", true)]
    [InlineData("GET", "/v1/alerts", true)]
    [InlineData("POST", "/v1/accounts", false)]
    [InlineData("PATCH", "/v1/accounts/acc_1", false)]
    [InlineData("POST", "/v1/payments", false)]
    [InlineData("GET", "/v1/accountsx", false)]
    [InlineData("GET", "/v1/fx/rates", false)]
    [InlineData("POST", "/v1/fraud/reviews/pay_1", false)]
    public void reads_go_to_query_api_and_everything_else_of_v1_to_command_api(string method, string path, bool query) =>
        RoutesToQuery(method, path).Should().Be(query);

    [Fact]
    public void every_query_route_of_the_gateway_is_in_the_rendered_map()
    {
        var config = NginxFront.Render(Settings);
        var queryRoutes = GatewayRoutes.Routes().Where(r => r.ClusterId == "query" && r.Match.Path!.StartsWith("/v1/", StringComparison.Ordinal)).ToList();

        queryRoutes.Should().NotBeEmpty();
        Regex.Matches(config, " ledger_query;").Count.Should().Be(queryRoutes.Count);
        config.Should().Contain("server 127.0.0.1:8081;").And.Contain("server 127.0.0.1:8082;").And.Contain("server 127.0.0.1:8084;")
            .And.Contain("listen 127.0.0.1:8080").And.Contain("pid /srv/front/nginx.pid;");
    }

    [Fact]
    public void a_backend_url_with_a_path_or_tls_is_refused_rather_than_half_rendered()
    {
        var withPath = () => NginxFront.Render(Settings with { QueryApi = "http://127.0.0.1:8082/base" });
        var tls = () => NginxFront.Render(Settings with { CommandApi = "https://127.0.0.1:8081" });
        var relative = () => NginxFront.Render(Settings with { WorkDirectory = "front" });

        withPath.Should().Throw<ArgumentException>();
        tls.Should().Throw<ArgumentException>();
        relative.Should().Throw<ArgumentException>();
    }
}

/// <summary>The machine's nginx (<c>LEDGER_TEST_NGINX</c>, set by ops/test, or nginx on the PATH) serving a rendered
/// front on a free port, in a folder of its own; stopped and removed on dispose.</summary>
public sealed class NginxServer : IDisposable
{
    private readonly Process _process;
    private readonly string _work;

    private NginxServer(Process process, string work, int port)
    {
        _process = process;
        _work = work;
        Url = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Url { get; }

    public static string Binary =>
        Environment.GetEnvironmentVariable("LEDGER_TEST_NGINX") is { Length: > 0 } path ? path
        : File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx"
        : throw new InvalidOperationException("nginx is not installed (ops/test installs it: apt-get install -y nginx-light).");

    public static async Task<NginxServer> StartAsync(Uri command, Uri query, Uri gateway)
    {
        var port = Ports.Free();
        var work = Directory.CreateTempSubdirectory("ledger-front-").FullName;
        // nginx's workers run as nobody when started by root: they need to reach their temporary folders.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
                | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        var config = Path.Combine(work, "nginx.conf");
        await File.WriteAllTextAsync(config, NginxFront.Render(new NginxFront.Settings($"127.0.0.1:{port}", command.ToString(), query.ToString(), gateway.ToString(), work)));
        var process = Process.Start(new ProcessStartInfo(Binary, ["-e", "stderr", "-p", work, "-c", config])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) => errors.AppendLine(e.Data);
        process.BeginErrorReadLine();
        var server = new NginxServer(process, work, port);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"nginx exited with {process.ExitCode}: {errors}");
                }

                try
                {
                    using var probe = new TcpClient();
                    await probe.ConnectAsync("127.0.0.1", port);
                    return server;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(20);
                }
            }
        }
        catch
        {
            server.Dispose(); // a front that never listened leaves neither a process nor its folder behind
            throw;
        }
    }

    /// <summary>Sends bytes as they are (what an HTTP client library would refuse to write) and reads the answer.</summary>
    public async Task<(int Status, string Headers, string Body)> RawAsync(string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(Url.Host, Url.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync(); // nginx closes the connection after refusing a request
        var split = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = answer[..split];
        return (int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), head, answer[(split + 4)..]);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5_000);
        }

        _process.Dispose();
        Directory.Delete(_work, recursive: true);
    }
}
