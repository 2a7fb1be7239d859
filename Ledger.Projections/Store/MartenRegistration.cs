using Ledger.Projections.Money;
using Marten;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ledger.Projections.Store;

public static class MartenRegistration
{
    /// <summary>Registers the document store with lightweight sessions and creates the schema at start-up: Marten's
    /// objects, then the ledger's plain tables (<see cref="LedgerSql"/>) and the audit chain's (<see cref="Audit.AuditSql"/>), so any host can start first on a new
    /// database (QueryApi reads <c>ledger.entries</c> even where no engine has run yet).</summary>
    /// <param name="configure">More store configuration of one host (the fraud pipeline's feature documents).</param>
    /// <param name="more">More registration of one host (the fraud pipeline's Kafka bridge subscription and daemon).</param>
    public static IServiceCollection AddLedgerStore(this IServiceCollection services, string connectionString,
        Action<StoreOptions>? configure = null, Action<MartenServiceCollectionExtensions.MartenConfigurationExpression>? more = null)
    {
        var marten = services.AddMarten(opts =>
            {
                LedgerStore.Configure(opts, connectionString);
                configure?.Invoke(opts);
            })
            .UseLightweightSessions()
            .ApplyAllDatabaseChangesOnStartup();
        more?.Invoke(marten);
        services.AddSingleton<LedgerMartenLogger>();
        services.ConfigureMarten((sp, opts) => opts.Logger(sp.GetRequiredService<LedgerMartenLogger>()));
        services.AddSingleton(sp => new IndexPlannedSessions(sp.GetRequiredService<IDocumentStore>(), connectionString));
        services.AddHostedService<LedgerSqlSchema>();
        return services;
    }

    /// <summary>Registered after Marten's activator, so it runs once Marten's schema exists.</summary>
    private sealed class LedgerSqlSchema(IDocumentStore store) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await using var connection = store.Storage.Database.CreateConnection();
            await connection.OpenAsync(cancellationToken);
            await LedgerSql.EnsureAsync(connection, cancellationToken);
            await Audit.AuditSql.EnsureAsync(connection, cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
