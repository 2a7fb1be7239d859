using Ledger.Projections.Privacy;
using Ledger.QueryApi.Accounts;
using Ledger.QueryApi.Analytics;
using Ledger.QueryApi.Audit;
using Ledger.QueryApi.Fraud;
using Ledger.QueryApi.Money;
using Ledger.QueryApi.Statements;
using Ledger.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddLedgerDefaults("QueryApi");
builder.Services.AddSingleton(_ => PiiProtector.FromBase64(builder.Configuration["Pii:MasterKey"]));
builder.Services.AddMemoryCache(o => o.SizeLimit = builder.Configuration.GetValue("AccountCache:Entries", 100_000));
builder.Services.AddSingleton<AccountViewCache>();
builder.Services.AddLedgerAudit(builder.Configuration);

var app = builder.Build();
app.UseLedgerDefaults();
app.MapAccountQueries();
app.MapMoneyQueries();
app.MapDisputeQueries();
app.MapFraudQueries();
app.MapAuditEndpoints();
app.MapAnalyticsEndpoints();
app.MapStatements();
app.Run();

/// <summary>Entry point, public for WebApplicationFactory.</summary>
public partial class Program;
