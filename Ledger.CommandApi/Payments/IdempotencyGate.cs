using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Ledger.Domain.Common;
using Ledger.ServiceDefaults;

namespace Ledger.CommandApi.Payments;

/// <summary>
/// SPEC "Idempotency", with Stripe's semantics: every money-moving POST needs <c>Idempotency-Key</c>; a retry with the
/// same key and body gets the first response back (status, Location, body byte for byte), a different body gets 422,
/// and a duplicate arriving while the first is in flight gets 409. Keys are scoped to the caller (token subject).
/// The record itself is written, and looked up, by the account's shard writer, in batches: the write in the same
/// transaction as the events, the look-up once per batch. This gate only keeps concurrent duplicates in this process
/// apart (409); across processes the shard writer does.
/// </summary>
public sealed class IdempotencyGate
{
    public const string Header = "Idempotency-Key";
    public const int MaxKeyLength = 255;
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);

    public sealed record Ticketed(Engine.IdempotencyTicket Ticket, IDisposable Release);

    /// <summary>Either a ticket to go ahead with, or the answer to give now (409 in flight, 400 bad key).</summary>
    public (Ticketed? Ticket, IResult? Answer) Enter(HttpRequest request, string subject, byte[] body)
    {
        var key = request.Headers[Header].ToString();
        if (string.IsNullOrWhiteSpace(key))
        {
            return (null, Problems.Validation(Header, "is required on every request that moves money"));
        }

        if (key.Length > MaxKeyLength || key.Any(char.IsControl))
        {
            return (null, Problems.Validation(Header, $"must be at most {MaxKeyLength} printable characters"));
        }

        var recordId = Hex(SHA256.HashData(Encoding.UTF8.GetBytes(subject + "\n" + key)));
        var requestHash = Hex(SHA256.HashData([.. Encoding.UTF8.GetBytes(request.Method + " " + request.Path + "\n"), .. body]));
        if (!_inFlight.TryAdd(recordId, 0))
        {
            return (null, InFlight());
        }

        var release = new Release(() => _inFlight.TryRemove(recordId, out _));
        return (new Ticketed(new Engine.IdempotencyTicket(recordId, requestHash), release), null);
    }

    public static IResult Replay(int status, string? location, string body, bool replayed) => new StoredResponse(status, location, body, replayed);

    public static IResult InFlight() =>
        Problems.Create(StatusCodes.Status409Conflict, ErrorCodes.Conflict, "Request in flight.",
            "A request with this Idempotency-Key is still being processed; retry it shortly to get its result.");

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private sealed class Release(Action action) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                action();
            }
        }
    }

    private sealed class StoredResponse(int status, string? location, string body, bool replayed) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = "application/json; charset=utf-8";
            if (location is not null)
            {
                response.Headers.Location = location;
            }

            if (replayed)
            {
                response.Headers["Idempotent-Replayed"] = "true";
            }

            await response.WriteAsync(body, Encoding.UTF8, httpContext.RequestAborted);
        }
    }
}
