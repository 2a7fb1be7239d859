using Ledger.FraudPipeline;
using Ledger.FraudPipeline.Features;
using Ledger.FraudPipeline.ModelServer;
using Ledger.FraudPipeline.Scoring;
using Ledger.FraudPipeline.Training;
using Ledger.ServiceDefaults;

// `train`: generate synthetic data, train and write the model (ops/train-model); no web host, no database.
if (args is ["train", ..])
{
    Environment.ExitCode = TrainCommand.Run(args[1..]);
    return;
}

// The fraud pipeline (DESIGN steps 3–5): the Kafka bridge (event store -> Kafka), and the scoring consumer
// (Kafka -> features -> score -> analysis, alerts -> verdict to the ledger).
if (ModelServerHost.IsRequested(args))
{
    // Run as a SageMaker inference container (`serve`): only /ping and /invocations on :8080 (ModelServer/ModelServerHost.cs).
    // The model comes from Fraud:ModelDirectory (SageMaker unpacks model artefacts into /opt/ml/model), else the shipped one.
    ModelServerHost.Run(args, sp => ModelScorer.Load(sp.GetRequiredService<IConfiguration>()["Fraud:ModelDirectory"]));
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddLedgerDefaults("FraudPipeline",
    store: opts =>
    {
        // Feature documents: written only by this pipeline, from the stream; optimistic concurrency makes two
        // pipeline processes updating one account redo a batch instead of losing an update.
        opts.Schema.For<AccountFeatures>().Identity(x => x.Id).UseOptimisticConcurrency(true);
    });
builder.Services.AddFraudPipeline(builder.Configuration);

var app = builder.Build();
app.UseLedgerDefaults();
app.Run();

/// <summary>Entry point, public for WebApplicationFactory.</summary>
public partial class Program;
