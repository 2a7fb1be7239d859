using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Yarp.ReverseProxy.Configuration;

/// <summary>
/// The embedded default's front door: an nginx configuration that sends <c>/v1</c> requests straight to CommandApi or
/// QueryApi by the same route table the .NET gateway uses (<see cref="GatewayRoutes"/>, rendered here, so the two
/// cannot drift), and everything else (<c>/health</c>, <c>/swagger</c>, <c>/</c>) to the .NET gateway behind it, which
/// still aggregates readiness and serves the API documents.
/// <para>
/// Why nginx in front, measured (ops/bench/README.md, "Evening of 2026-12-03 (16:40– UTC)"): at 1,000 requests/s the
/// YARP hop cost 0.13 cores of the 2 and nginx 0.05 for the same requests. A .NET proxy hands every read and write
/// between its socket thread and thread-pool workers, each a context switch on this VM; nginx's one event loop does
/// not. In production a load balancer takes this place (DESIGN, "Embedded default vs production").
/// </para>
/// <para>
/// What clients see stays the services' own answers: bodies are streamed unbuffered and unlimited here so that the
/// services' limits answer (413 <c>payload_too_large</c> as problem+json); what nginx itself refuses (an unreadable
/// request, a backend that is down or silent) is problem+json too, with the services' <c>type</c> URIs.
/// </para>
/// </summary>
public static class NginxFront
{
    /// <summary>Where the front listens and what it sends to.</summary>
    /// <param name="Listen">host:port the front serves, e.g. <c>127.0.0.1:8080</c>.</param>
    /// <param name="CommandApi">CommandApi's base URL.</param>
    /// <param name="QueryApi">QueryApi's base URL.</param>
    /// <param name="Gateway">The .NET gateway's base URL (health, swagger, anything not under /v1).</param>
    /// <param name="WorkDirectory">An absolute folder for nginx's pid file and temporary files.</param>
    public sealed record Settings(string Listen, string CommandApi, string QueryApi, string Gateway, string WorkDirectory);

    /// <summary>Matches a path pattern of the route table: a literal prefix, optionally ending in a catch-all.</summary>
    private static readonly Regex CatchAll = new(@"^(?<prefix>/[^{}]*?)/?\{\*\*[A-Za-z]+\}$", RegexOptions.CultureInvariant);

    public static string Render(Settings settings)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(settings.Listen);
        if (!Path.IsPathRooted(settings.WorkDirectory))
        {
            throw new ArgumentException("nginx needs an absolute work directory.", nameof(settings));
        }

        var work = settings.WorkDirectory.TrimEnd('/');
        var config = new StringBuilder();
        config.AppendLine(CultureInfo.InvariantCulture, $$"""
            # Rendered by Ledger.Gateway (NginxFront) from GatewayRoutes: edit the routes there, not here.
            worker_processes 1;
            daemon off;
            pid {{work}}/nginx.pid;
            error_log stderr warn;
            events { worker_connections 4096; }
            http {
                access_log off;
                server_tokens off;
                client_body_temp_path {{work}}/client_body;
                proxy_temp_path {{work}}/proxy;
                fastcgi_temp_path {{work}}/fastcgi;
                uwsgi_temp_path {{work}}/uwsgi;
                scgi_temp_path {{work}}/scgi;
                # The services decide what is too large (413 problem+json) and stream what they answer.
                client_max_body_size 0;
                proxy_request_buffering off;
                proxy_buffering off;
                # As Kestrel's own limits (32 KB of headers), and headers pass as sent.
                large_client_header_buffers 4 32k;
                underscores_in_headers on;
                proxy_http_version 1.1;
                proxy_set_header Connection "";
                proxy_set_header Host $http_host;
                proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                proxy_set_header X-Forwarded-Proto $scheme;
                proxy_connect_timeout 5s;
                # Longer than any answer takes (Prefer: wait is at most 10 s): YARP's default activity timeout.
                proxy_read_timeout 100s;
                proxy_send_timeout 100s;
                upstream ledger_command { server {{HostPort(settings.CommandApi)}}; keepalive 64; }
                upstream ledger_query { server {{HostPort(settings.QueryApi)}}; keepalive 64; }
                upstream ledger_gateway { server {{HostPort(settings.Gateway)}}; keepalive 16; }
                # GatewayRoutes: reads of views, history, audit, analytics and fraud go to QueryApi; the rest of /v1 to
                # CommandApi. Case-insensitive, as ASP.NET Core's routing is.
                map "$request_method $uri" $ledger_v1 {
                    default ledger_command;
            """);
        foreach (var (methods, pattern) in QueryRoutes())
        {
            config.AppendLine(CultureInfo.InvariantCulture, $"        \"~*^({string.Join('|', methods)}) {pattern}\" ledger_query;");
        }

        config.AppendLine(CultureInfo.InvariantCulture, $$"""
                }
                server {
                    listen {{settings.Listen}} reuseport backlog=4096;
                    # nginx's own refusals, as problem+json (a named location cannot answer a request whose line did not
                    # parse: nginx answers those 500; an internal URI can). 505 is the client's mistake too: a 400.
                    error_page 400 494 505 =400 /_ledger/problem/400;
                    error_page 414 /_ledger/problem/414;
                    error_page 502 503 =503 /_ledger/problem/503;
                    error_page 504 /_ledger/problem/504;
                    location /v1/ {
                        proxy_pass http://$ledger_v1;
                    }
                    location / {
                        proxy_pass http://ledger_gateway;
                    }
            {{ErrorLocation(400, "validation_failed", "The request is not valid.", "The request could not be read as HTTP (its line, headers or framing).")}}
            {{ErrorLocation(414, "validation_failed", "The request is not valid.", "The request line is longer than 32 KB.")}}
            {{ErrorLocation(503, "try_again", "Try again.", "The service behind this URL is not answering; retry with the same Idempotency-Key.", "add_header Retry-After 1 always;")}}
            {{ErrorLocation(504, "try_again", "Try again.", "The service behind this URL did not answer in time; retry with the same Idempotency-Key.")}}
                }
            }
            """);
        return config.ToString();
    }

    /// <summary>QueryApi's routes as (methods, anchored path regex), in the table's order.</summary>
    public static IEnumerable<(IReadOnlyList<string> Methods, string Pattern)> QueryRoutes()
    {
        foreach (var route in GatewayRoutes.Routes().Where(r => r.ClusterId == "query" && r.Match.Path!.StartsWith("/v1/", StringComparison.Ordinal)))
        {
            var methods = route.Match.Methods ?? throw new InvalidOperationException($"Route {route.RouteId} routes by method: name them.");
            yield return (methods, PathPattern(route));
        }
    }

    private static string PathPattern(RouteConfig route)
    {
        var path = route.Match.Path!;
        if (CatchAll.Match(path) is { Success: true } m)
        {
            return Regex.Escape(m.Groups["prefix"].Value) + "(/.*)?$";
        }

        if (path.Contains('{', StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Route {route.RouteId}: only literal paths and a trailing catch-all render for nginx ({path}).");
        }

        return Regex.Escape(path.TrimEnd('/')) + "/?$";
    }

    private static string HostPort(string url)
    {
        var uri = new Uri(url);
        if (uri.Scheme != Uri.UriSchemeHttp || uri.AbsolutePath != "/")
        {
            throw new ArgumentException($"The front proxies plain http to a base URL without a path ({url}).", nameof(url));
        }

        return $"{uri.Host}:{uri.Port.ToString(CultureInfo.InvariantCulture)}";
    }

    private static string ErrorLocation(int status, string code, string title, string detail, string? header = null) =>
        $"        location = /_ledger/problem/{status} {{ internal; default_type application/problem+json; " +
        (header is null ? "" : header + " ") + $"return {status} '{Problem(status, code, title, detail)}'; }}";

    /// <summary>A problem body as the services write it (<c>Problems.TypeUri</c>; this project references none of theirs),
    /// for a single-quoted nginx string: one where nginx would see a variable or the string's end is refused.</summary>
    private static string Problem(int status, string code, string title, string detail)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = "https://ledger.dev/problems/" + code,
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["code"] = code,
        });
        return json.IndexOfAny(['$', '\'', '\\']) < 0 ? json : throw new InvalidOperationException($"Not an nginx-safe body: {json}");
    }
}

/// <summary><c>Ledger.Gateway nginx-config --listen host:port --command URL --query URL --gateway URL --work DIR</c>:
/// prints the front's configuration (exit 0), or what is missing (exit 2).</summary>
public static class NginxFrontCommand
{
    public static int Print(IReadOnlyList<string> options)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < options.Count; i += 2)
        {
            values[options[i]] = options[i + 1];
        }

        string[] required = ["--listen", "--command", "--query", "--gateway", "--work"];
        if (options.Count % 2 != 0 || required.Any(o => !values.ContainsKey(o)))
        {
            Console.Error.WriteLine("usage: Ledger.Gateway nginx-config " + string.Join(' ', required.Select(o => o + " ...")));
            return 2;
        }

        Console.Out.Write(NginxFront.Render(new NginxFront.Settings(values["--listen"], values["--command"], values["--query"], values["--gateway"], values["--work"])));
        return 0;
    }
}
