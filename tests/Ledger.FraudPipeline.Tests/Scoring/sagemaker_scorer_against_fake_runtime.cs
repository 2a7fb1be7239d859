using System.Net.Http.Headers;
using System.Text;
using Amazon.Runtime;
using Ledger.FraudPipeline.Scoring;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.FraudPipeline.Tests.Scoring;

/// <summary>
/// SageMakerScorer → fake SageMaker runtime (checks SigV4, path, content type) → the real model server host, all over
/// real HTTP on loopback ports.
/// </summary>
public sealed class sagemaker_scorer_against_fake_runtime : IAsyncLifetime
{
    private ModelServerInstance _model = null!;
    private FakeSageMakerRuntime _runtime = null!;

    public async Task InitializeAsync()
    {
        _model = await ModelServerInstance.StartAsync(_ => new LogisticTestScorer());
        _runtime = await FakeSageMakerRuntime.StartAsync(_model.Url);
    }

    public async Task DisposeAsync()
    {
        await _runtime.DisposeAsync();
        await _model.DisposeAsync();
    }

    /// <summary>The production registration (Fraud:Scorer=sagemaker) pointed at the fake runtime.</summary>
    internal static ServiceProvider Services(Uri runtime, AWSCredentials? credentials, Action<IServiceCollection>? also = null, params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?>
        {
            ["Fraud:Scorer"] = "sagemaker",
            ["Fraud:SageMaker:EndpointName"] = FakeSageMakerRuntime.EndpointName,
            ["Fraud:SageMaker:Region"] = FakeSageMakerRuntime.Region,
            ["Fraud:SageMaker:ServiceUrl"] = runtime.ToString(),
        };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        var services = new ServiceCollection();
        if (credentials is not null)
        {
            services.AddSingleton(credentials);
        }

        services.AddFraudScoring(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), inProcessModel: null);
        also?.Invoke(services);
        return services.BuildServiceProvider();
    }

    private ServiceProvider Services(AWSCredentials credentials, Action<IServiceCollection>? also = null, params (string, string)[] settings) =>
        Services(_runtime.Url, credentials, also, settings);

    private static BasicAWSCredentials Good => new(FakeSageMakerRuntime.AccessKey, FakeSageMakerRuntime.Secret);

    [Fact]
    public async Task the_round_trip_through_sagemaker_gives_the_score_the_model_gives_in_process()
    {
        using var sp = Services(Good);
        var scorer = sp.GetRequiredService<SageMakerScorer>();

        foreach (var features in new[] { Samples.Quiet(), Samples.Burst(), Samples.Awkward() })
        {
            var remote = await scorer.ScoreAsync(features, default);
            var local = await new LogisticTestScorer().ScoreAsync(features, default);
            remote.Score.Should().Be(local.Score);
            remote.ModelVersion.Should().Be(LogisticTestScorer.Version);
            remote.Model.Should().Be("sagemaker:" + FakeSageMakerRuntime.EndpointName);
        }

        _runtime.Forwarded.Should().Be(3);
    }

    [Fact]
    public async Task the_rules_served_by_the_container_come_back_with_their_reasons()
    {
        await using var rulesServer = await ModelServerInstance.StartAsync(null, "Fraud:Scorer=rules");
        await using var runtime = await FakeSageMakerRuntime.StartAsync(rulesServer.Url);
        // A generous timeout: this test is about what comes back, not about a cold first call's speed.
        using var sp = Services(runtime.Url, Good, settings: ("Fraud:Resilience:Timeout", "00:00:10"));

        var remote = await sp.GetRequiredService<IFraudScorer>().ScoreAsync(Samples.Burst(), default);

        var local = sp.GetRequiredService<RulesScorer>().Score(Samples.Burst());
        remote.Score.Should().Be(local.Score);
        remote.Reasons.Should().Equal(local.Reasons);
        remote.ModelVersion.Should().Be(local.ModelVersion);
        remote.Model.Should().StartWith("sagemaker:", "the endpoint answered; the rules did not decide as a fallback");
    }

    [Fact]
    public async Task session_credentials_sign_the_security_token_too()
    {
        using var sp = Services(new SessionAWSCredentials(FakeSageMakerRuntime.SessionAccessKey, FakeSageMakerRuntime.SessionSecret, FakeSageMakerRuntime.SessionToken));

        (await sp.GetRequiredService<SageMakerScorer>().ScoreAsync(Samples.Quiet(), default)).ModelVersion.Should().Be(LogisticTestScorer.Version);

        using var stale = Services(new SessionAWSCredentials(FakeSageMakerRuntime.SessionAccessKey, FakeSageMakerRuntime.SessionSecret, "an-expired-token"));
        var call = () => stale.GetRequiredService<SageMakerScorer>().ScoreAsync(Samples.Quiet(), default).AsTask();
        (await call.Should().ThrowAsync<SageMakerInvocationException>()).Which.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task a_wrong_secret_is_refused_with_403_and_the_scorer_throws_with_the_status()
    {
        using var sp = Services(new BasicAWSCredentials(FakeSageMakerRuntime.AccessKey, "not-the-secret"));

        var call = () => sp.GetRequiredService<SageMakerScorer>().ScoreAsync(Samples.Quiet(), default).AsTask();

        var thrown = (await call.Should().ThrowAsync<SageMakerInvocationException>()).Which;
        thrown.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        thrown.ErrorType.Should().Be("InvalidSignatureException");
        _runtime.Forwarded.Should().Be(0);
    }

    [Fact]
    public async Task a_body_changed_after_signing_is_refused_with_403()
    {
        using var sp = Services(Good, s => s.AddHttpClient(SageMakerScorer.HttpClientName).AddHttpMessageHandler(() => new AfterSigning(async request =>
        {
            var row = await request.Content!.ReadAsStringAsync();
            var tampered = new ByteArrayContent(Encoding.UTF8.GetBytes("0" + row[row.IndexOf(',', StringComparison.Ordinal)..]));
            tampered.Headers.ContentType = request.Content.Headers.ContentType;
            request.Content = tampered;
        })));

        var call = () => sp.GetRequiredService<SageMakerScorer>().ScoreAsync(Samples.Quiet(), default).AsTask();

        (await call.Should().ThrowAsync<SageMakerInvocationException>()).Which.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        _runtime.Forwarded.Should().Be(0);
    }

    [Fact]
    public async Task a_request_sent_to_another_path_than_it_was_signed_for_is_refused_with_403()
    {
        using var sp = Services(Good, s => s.AddHttpClient(SageMakerScorer.HttpClientName).AddHttpMessageHandler(() => new AfterSigning(request =>
        {
            request.RequestUri = new Uri(request.RequestUri!, "/endpoints/someone-elses-model/invocations");
            return Task.CompletedTask;
        })));

        var call = () => sp.GetRequiredService<SageMakerScorer>().ScoreAsync(Samples.Quiet(), default).AsTask();

        (await call.Should().ThrowAsync<SageMakerInvocationException>()).Which.ErrorType.Should().Be("InvalidSignatureException");
    }

    [Fact]
    public async Task an_unknown_endpoint_is_a_400_validation_error_from_the_runtime()
    {
        using var sp = Services(Good, settings: ("Fraud:SageMaker:EndpointName", "no-such-model"));

        var call = () => sp.GetRequiredService<SageMakerScorer>().ScoreAsync(Samples.Quiet(), default).AsTask();

        var thrown = (await call.Should().ThrowAsync<SageMakerInvocationException>()).Which;
        thrown.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        thrown.Message.Should().Contain("no-such-model");
    }

    [Fact]
    public async Task the_runtime_refuses_a_signed_request_of_another_content_type_with_415()
    {
        using var sp = Services(Good);
        var http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(SageMakerScorer.HttpClientName);
        var content = new StringContent("{\"amountLog\":1}", Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await http.PostAsync(new Uri(_runtime.Url, $"/endpoints/{FakeSageMakerRuntime.EndpointName}/invocations"), content);

        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        _runtime.LastRefusal.Should().Be("ValidationError", "the signature was good: only the content type was refused");
    }

    /// <summary>Runs after the signing handler (handlers added later sit nearer the wire): changes what was signed.</summary>
    private sealed class AfterSigning(Func<HttpRequestMessage, Task> change) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Contains("Authorization").Should().BeTrue("the request reaching this handler is already signed");
            await change(request);
            return await base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>The standard AWS chain: environment variables are enough (own class: it sets process environment).</summary>
public sealed class sagemaker_credentials_from_the_environment
{
    [Fact]
    public async Task access_key_secret_and_session_token_from_environment_variables_sign_the_call()
    {
        await using var model = await ModelServerInstance.StartAsync(_ => new LogisticTestScorer());
        await using var runtime = await FakeSageMakerRuntime.StartAsync(model.Url);
        var saved = new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN" }.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", FakeSageMakerRuntime.SessionAccessKey);
            Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", FakeSageMakerRuntime.SessionSecret);
            Environment.SetEnvironmentVariable("AWS_SESSION_TOKEN", FakeSageMakerRuntime.SessionToken);
            using var sp = sagemaker_scorer_against_fake_runtime.Services(runtime.Url, credentials: null);

            var score = await sp.GetRequiredService<SageMakerScorer>().ScoreAsync(Samples.Quiet(), default);

            score.ModelVersion.Should().Be(LogisticTestScorer.Version);
            runtime.Forwarded.Should().Be(1);
        }
        finally
        {
            foreach (var (key, value) in saved)
            {
                Environment.SetEnvironmentVariable(key, value);
            }
        }
    }
}
