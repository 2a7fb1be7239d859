using Ledger.Projections.Audit;
using Marten;

namespace Ledger.QueryApi.Audit;

/// <summary>The audit chain's key and sealer, from configuration (<c>Audit:*</c>).</summary>
public sealed class AuditSettings
{
    /// <summary>HMAC-SHA256 key for chain checkpoints (base64, at least 32 bytes). Never stored in the database.</summary>
    public required byte[] SigningKey { get; init; }

    /// <summary>Pause between sealing passes when there was nothing to seal.</summary>
    public TimeSpan SealInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a pass waits for transactions open at its start to end before trying again later.</summary>
    public TimeSpan SealMaxWait { get; init; } = TimeSpan.FromSeconds(10);

    public static AuditSettings From(IConfiguration configuration)
    {
        var key = configuration["Audit:SigningKey"] is { Length: > 0 } encoded
            ? Convert.FromBase64String(encoded)
            : throw new InvalidOperationException("Audit:SigningKey is not configured (base64, at least 32 bytes): the audit chain cannot be signed.");
        if (key.Length < 32)
        {
            throw new InvalidOperationException("Audit:SigningKey must be at least 32 bytes.");
        }

        return new AuditSettings
        {
            SigningKey = key,
            SealInterval = configuration.GetValue("Audit:SealInterval", TimeSpan.FromMilliseconds(250)),
            SealMaxWait = configuration.GetValue("Audit:SealMaxWait", TimeSpan.FromSeconds(10)),
        };
    }
}

public static class AuditRegistration
{
    public static IServiceCollection AddLedgerAudit(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = AuditSettings.From(configuration);
        services.AddSingleton(settings);
        services.AddSingleton(sp => new ChainSealer(
            () => sp.GetRequiredService<IDocumentStore>().Storage.Database.CreateConnection(),
            settings.SigningKey,
            settings.SealMaxWait,
            sp.GetRequiredService<ILogger<ChainSealer>>()));
        services.AddSingleton(sp => new BalanceReplay(sp.GetRequiredService<IDocumentStore>()));
        if (configuration.GetValue("Audit:Sealer", true))
        {
            services.AddHostedService<ChainSealerService>();
        }

        return services;
    }
}

/// <summary>
/// Seals continuously in every QueryApi process; the advisory lock lets one seal at a time and the others stand by,
/// so the sealer survives the loss of any one node without a leader election of its own.
/// <para>
/// One pass every <see cref="AuditSettings.SealInterval"/> (250 ms) under steady load, back to back only while catching
/// up (a pass that sealed a full page or more). A pass has a fixed price whatever it seals — the open-transaction
/// look-up and wait, the head read, the volume projection's statement, a signed checkpoint — and starting the next one
/// as soon as the last sealed anything made it ~34 passes a second at 200 payments/s + 100 edits/s, ~0.1 cores of
/// PostgreSQL for the chain alone (ops/bench/README.md, "Afternoon of 2026-11-26"). Sealing stays well under a second
/// behind the log.
/// </para>
/// </summary>
public sealed partial class ChainSealerService(ChainSealer sealer, AuditSettings settings, ILogger<ChainSealerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var result = await sealer.SealAsync(stoppingToken);
                failures = 0;
                if (result.Sealed >= ChainSealer.PageSize && !result.Busy)
                {
                    continue; // catching up: more arrived while a backlog of full pages was sealed
                }

                await Task.Delay(settings.SealInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
            {
                // The database went away or refused a statement: back off and try again (the pass wrote nothing).
                failures++;
                LogSealFailed(logger, ex, failures);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, failures)), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit sealing pass failed ({Failures} in a row); retrying")]
    private static partial void LogSealFailed(ILogger logger, Exception exception, int failures);
}
