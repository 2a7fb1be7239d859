using Ledger.CommandApi.Accounts;
using Ledger.CommandApi.Engine;
using Ledger.CommandApi.Fraud;
using Ledger.CommandApi.Fx;
using Ledger.CommandApi.Protection;
using Ledger.Domain.Protection;
using Ledger.CommandApi.Payments;
using Ledger.Domain.Payments;
using Ledger.Projections.Privacy;
using Ledger.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddLedgerDefaults("CommandApi");
var services = builder.Services;
services.AddSingleton(_ => PiiProtector.FromBase64(builder.Configuration["Pii:MasterKey"]));
services.AddSingleton(builder.Configuration.GetSection("Engine").Get<EngineOptions>() ?? new EngineOptions());
services.AddSingleton<IRiskAssessor>(new RulesRiskAssessor(RiskSettings.Read(builder.Configuration)));
services.AddSingleton<PaymentWaiters>();
services.AddSingleton(VerdictOptions.Read(builder.Configuration));
services.AddSingleton<LedgerEngine>();
services.AddHostedService(sp => sp.GetRequiredService<LedgerEngine>());
services.AddHostedService<VerdictDeadlineSweeper>();
services.AddHostedService<IdempotencyPurge>();
services.AddSingleton<IdempotencyGate>();
services.AddFxRates(builder.Configuration);
// Section Protection: WindowDays (default 180), SellerProtectionMaxRiskScore (0-1, default 0.5), HoldNewPayeesDays
// (0 = off), HoldAboveRiskScore (0-1, unset = off), HoldDays (default 14), HoldSweepSeconds (default 60).
var protection = builder.Configuration.GetSection("Protection");
services.AddSingleton(new ProtectionPolicy(
    TimeSpan.FromDays(protection.GetValue<double?>("WindowDays") ?? ProtectionPolicy.Default.Window.TotalDays),
    (int)((protection.GetValue<decimal?>("SellerProtectionMaxRiskScore") ?? ProtectionPolicy.Default.SellerProtectionMaxRiskBasisPoints / 10_000m) * 10_000m))
{
    HoldNewPayeesFor = TimeSpan.FromDays(protection.GetValue<double?>("HoldNewPayeesDays") ?? 0),
    HoldAboveRiskBasisPoints = protection.GetValue<decimal?>("HoldAboveRiskScore") is { } score ? (int)(score * 10_000m) : null,
    HoldPeriod = TimeSpan.FromDays(protection.GetValue<double?>("HoldDays") ?? ProtectionPolicy.Default.HoldPeriod.TotalDays),
});
services.AddSingleton<HoldExpiry>();
services.AddHostedService(sp => sp.GetRequiredService<HoldExpiry>());

var app = builder.Build();
app.UseLedgerDefaults();
app.MapDevTokens(enabled: app.Environment.IsDevelopment());
app.MapAccountCommands();
app.MapMoneyCommands();
app.MapFx();
app.MapProtection();
app.MapFraud();
app.Run();

/// <summary>Entry point, public for WebApplicationFactory.</summary>
public partial class Program;
