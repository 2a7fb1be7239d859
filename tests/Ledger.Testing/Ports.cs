using System.Net;
using System.Net.Sockets;

namespace Ledger.Testing;

public static class Ports
{
    // Below Linux's ephemeral range (ip_local_port_range, 32768-60999 by default): a port the OS handed out and we
    // released could be taken again by any outgoing connection (a test's database or HTTP client) before Kestrel
    // binds it, which made a gateway test fail now and then. Ports here are only ever taken by a bind.
    private const int First = 20_000;
    private const int Last = 32_000;
    private static int _next = First + Random.Shared.Next(Last - First);

    /// <summary>A loopback port nobody listens on right now, outside the range outgoing connections draw from.</summary>
    public static int Free()
    {
        for (var attempt = 0; attempt < Last - First; attempt++)
        {
            var port = First + (Interlocked.Increment(ref _next) % (Last - First));
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken: try the next one
            }
        }

        throw new InvalidOperationException($"No free loopback port between {First} and {Last}.");
    }
}
