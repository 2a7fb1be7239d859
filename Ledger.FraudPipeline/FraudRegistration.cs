using Ledger.FraudPipeline.Kafka;
using Ledger.FraudPipeline.Scoring;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Ledger.FraudPipeline;

public static class FraudRegistration
{
    /// <summary>
    /// Kafka (section <c>Kafka</c>), the scoring consumer, decisions (section <c>Fraud</c>: ReviewAt, RejectAt,
    /// ReviewOnRuleHit, LedgerUrl), the scorer (<c>Fraud:Scorer</c>: model | sagemaker | rules, see
    /// FraudScoringRegistration) with the rules beside it as one more input, and the verdict client.
    /// </summary>
    public static IServiceCollection AddFraudPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(new KafkaCluster(configuration.GetSection("Kafka").Get<KafkaSettings>() ?? new KafkaSettings()));
        var policy = configuration.GetSection("Fraud").Get<DecisionPolicy>() ?? new DecisionPolicy();
        policy.Validate();
        services.AddSingleton(policy);
        var ledgerUrl = configuration["Fraud:LedgerUrl"] ?? throw new InvalidOperationException("Fraud:LedgerUrl (the CommandApi's base URL) is not configured.");
        services.AddHttpClient<VerdictClient>(http =>
        {
            http.BaseAddress = new Uri(ledgerUrl);
            http.Timeout = TimeSpan.FromSeconds(5);
        });
        services.AddSingleton(sp => ModelScorer.Load(sp.GetRequiredService<IConfiguration>()["Fraud:ModelDirectory"]));
        services.AddFraudScoring(configuration, InProcessModel);
        services.AddSingleton(sp => new ScoringParts(sp.GetRequiredService<IFraudScorer>(), sp.GetRequiredService<RulesScorer>(), FraudExplainer.Explain));
        // The outbox tail (event store -> Kafka); one process leads across the deployment (Kafka/KafkaBridge.cs).
        services.AddHostedService<KafkaBridge>();
        // The embedded cluster's retention: drops what the scoring consumer has committed (Kafka/EmbeddedRetention.cs).
        services.AddSingleton<EmbeddedRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedRetention>());
        services.AddSingleton<FraudProcessor>();
        // Before the consumer: its StartAsync creates the dedup table, and hosted services start in this order.
        services.AddHostedService<ProcessedEventsTable>();
        services.AddSingleton<FraudWorker>();
        // Fraud:Consume=false runs the bridge without the scoring consumer (another process scores, or a bench
        // measures what the consumer costs; payments are then decided by the deadline's rules).
        if (configuration.GetValue("Fraud:Consume", true))
        {
            services.AddHostedService(sp => sp.GetRequiredService<FraudWorker>());
        }
        services.AddHealthChecks().AddCheck<KafkaHealthCheck>("kafka", tags: ["ready"]);
        return services;
    }

    /// <summary>The in-process model (loaded once, at start: a missing or broken model file stops the host with a
    /// <see cref="ModelLoadException"/> naming the file): <c>Fraud:ModelDirectory</c>, else the model shipped beside the
    /// assemblies.</summary>
    public static IFraudScorer InProcessModel(IServiceProvider services) => services.GetRequiredService<ModelScorer>();

    /// <summary>Creates the dedup table at start, before the consumer can need it (idempotent), then purges ids older
    /// than a week once a day: Kafka's retention is shorter, so an older event cannot come back.</summary>
    private sealed class ProcessedEventsTable(Marten.IDocumentStore store, TimeProvider clock, ILogger<ProcessedEventsTable> logger) : BackgroundService
    {
        public override async Task StartAsync(CancellationToken cancellationToken)
        {
            await RunAsync(FraudProcessor.Ddl, cancellationToken);
            // Feature documents are rewritten on every payment and are mostly 2-4 KB: above PostgreSQL's 2 KB default
            // a row is compressed (pglz) on every write, which perf showed as PostgreSQL's top function under load.
            // Rows up to a page stay inline and uncompressed (toast_tuple_target; existing rows change on next write).
            // A busy account's row fills its page, so its updates cannot be HOT and every one leaves a dead page-sized
            // row: with the default trigger (20% of the live rows, checked once a minute) a table of 200 busy accounts
            // grew to 528 MB in two minutes. Vacuum it after a fixed number of dead rows, so their space is reused,
            // and unthrottled: kept small it is quick, while throttled runs left it to grow under the heavy phases and
            // then worked through the mixed one (edit p99 26 ms against 19 ms; with the default once-a-minute look,
            // 61 ms): ops/bench/README.md, "Morning of 2026-11-26 (second session)".
            await store.Storage.Database.EnsureStorageExistsAsync(typeof(Features.AccountFeatures), cancellationToken);
            var features = store.Options.FindOrResolveDocumentType(typeof(Features.AccountFeatures)).TableName.QualifiedName;
            await RunAsync($"alter table {features} set (toast_tuple_target = 8160, autovacuum_vacuum_scale_factor = 0, " +
                "autovacuum_vacuum_threshold = 2000, autovacuum_vacuum_cost_delay = 0)", cancellationToken);
            await base.StartAsync(cancellationToken);
        }

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromDays(1), clock);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var purged = await RunAsync($"delete from {FraudProcessor.ProcessedTable} where processed_at < now() - interval '7 days'", stoppingToken);
                logger.LogInformation("Purged {Count} processed-event ids older than 7 days.", purged);
            }
        }

        private async Task<int> RunAsync(string sql, CancellationToken ct)
        {
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync(ct);
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            return await command.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>Ready when the cluster answers a metadata request.</summary>
    private sealed class KafkaHealthCheck(KafkaCluster kafka) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                using var admin = new Confluent.Kafka.DependentAdminClientBuilder(kafka.Producer.Handle).Build();
                var metadata = admin.GetMetadata(TimeSpan.FromSeconds(2));
                return Task.FromResult(metadata.Brokers.Count > 0 ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("no brokers"));
            }
            catch (Confluent.Kafka.KafkaException ex)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy(ex.Error.Reason));
            }
        }
    }
}
