using Ledger.Projections.Store;

// The fraud pipeline's real work (bridge, features, model, verdicts) lands with its own issue; until then this host
// only owns its port and reports whether it can reach the event store it will read from.
var builder = WebApplication.CreateBuilder(args);
var connectionString = builder.Configuration.GetConnectionString("Ledger")
    ?? throw new InvalidOperationException("ConnectionStrings:Ledger is not configured.");
builder.Services.AddLedgerStore(connectionString);
builder.Services.AddHealthChecks();

var app = builder.Build();
app.MapHealthChecks("/health/live");
app.MapHealthChecks("/health/ready");
app.Run();
