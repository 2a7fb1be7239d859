using Marten;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.Projections.Store;

public static class MartenRegistration
{
    /// <summary>Registers the document store with lightweight sessions and creates the schema at start-up.</summary>
    public static IServiceCollection AddLedgerStore(this IServiceCollection services, string connectionString)
    {
        services.AddMarten(opts => LedgerStore.Configure(opts, connectionString))
            .UseLightweightSessions()
            .ApplyAllDatabaseChangesOnStartup();
        return services;
    }
}
