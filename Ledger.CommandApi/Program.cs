using Ledger.CommandApi.Accounts;
using Ledger.Projections.Privacy;
using Ledger.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddLedgerDefaults("CommandApi");
builder.Services.AddSingleton(_ => PiiProtector.FromBase64(builder.Configuration["Pii:MasterKey"]));

var app = builder.Build();
app.UseLedgerDefaults();
app.MapDevTokens(enabled: app.Environment.IsDevelopment());
app.MapAccountCommands();
app.Run();

/// <summary>Entry point, public for WebApplicationFactory.</summary>
public partial class Program;
