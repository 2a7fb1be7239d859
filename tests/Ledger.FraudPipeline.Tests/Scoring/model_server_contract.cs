using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ledger.FraudPipeline.Features;
using Ledger.FraudPipeline.Scoring;

namespace Ledger.FraudPipeline.Tests.Scoring;

/// <summary>The container host as SageMaker drives it: GET /ping, POST /invocations, nothing else.</summary>
public sealed class model_server_contract : IAsyncLifetime
{
    private ModelServerInstance _server = null!;

    public async Task InitializeAsync() => _server = await ModelServerInstance.StartAsync(_ => new LogisticTestScorer());

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<HttpResponseMessage> Invoke(string body, string contentType = "text/csv")
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return _server.Client.PostAsync("/invocations", content);
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        response.StatusCode.Should().Be(status);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("code").GetString().Should().Be(code);
        return problem;
    }

    [Fact]
    public async Task ping_answers_200_once_the_model_is_loaded()
    {
        (await _server.Client.GetAsync("/ping")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task invocations_answers_the_models_score_for_a_csv_row()
    {
        var features = Samples.Awkward();

        var response = await Invoke(SageMakerPayload.Format(features) + "\n", "text/csv; charset=utf-8");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        var answer = await response.Content.ReadFromJsonAsync<ModelAnswer>();
        var local = await new LogisticTestScorer().ScoreAsync(features, default);
        answer!.Score.Should().Be(local.Score);
        answer.ModelVersion.Should().Be(LogisticTestScorer.Version);
    }

    [Fact]
    public async Task another_content_type_is_a_415_problem()
    {
        var response = await Invoke("{\"amountLog\":1}", "application/json");

        await Problem(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Fact]
    public async Task a_row_with_the_wrong_number_of_columns_is_a_400_naming_the_expected_columns()
    {
        var problem = await Problem(await Invoke("1,2,3"), HttpStatusCode.BadRequest, "validation_failed");

        problem.GetProperty("errors").GetProperty("$")[0].GetString().Should().Contain($"Expected {FraudFeatures.Names.Length} values").And.Contain("AmountLog");
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1 5")]
    public async Task a_value_that_is_not_a_finite_invariant_number_is_a_400_naming_its_column(string bad)
    {
        var cells = SageMakerPayload.Format(Samples.Quiet()).Split(',');
        cells[2] = bad;

        var problem = await Problem(await Invoke(string.Join(',', cells)), HttpStatusCode.BadRequest, "validation_failed");

        problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Should().Equal("AmountZScore");
    }

    [Fact]
    public async Task two_rows_in_one_request_are_a_400()
    {
        var row = SageMakerPayload.Format(Samples.Quiet());

        await Problem(await Invoke(row + "\n" + row), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task a_body_over_the_limit_is_a_413()
    {
        await Problem(await Invoke(new string('1', 70_000)), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task the_container_serves_nothing_but_ping_and_invocations()
    {
        await Problem(await _server.Client.GetAsync("/health/live"), HttpStatusCode.NotFound, "not_found");
    }
}

public sealed class model_server_without_a_model
{
    [Fact]
    public async Task ping_and_invocations_answer_503_model_not_loaded_while_the_model_cannot_load()
    {
        await using var server = await ModelServerInstance.StartAsync(_ => throw new FileNotFoundException("model.zip not found"));

        var ping = await server.Client.GetAsync("/ping");
        ping.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await ping.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString().Should().Contain("model.zip not found");
        var content = new StringContent(SageMakerPayload.Format(Samples.Quiet()), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        (await server.Client.PostAsync("/invocations", content)).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task without_an_in_process_model_the_container_refuses_to_start_unless_told_to_serve_the_rules()
    {
        var start = () => ModelServerInstance.StartAsync(null);
        await start.Should().ThrowAsync<InvalidOperationException>().WithMessage("*Fraud__Scorer=rules*");

        await using var rules = await ModelServerInstance.StartAsync(null, "Fraud:Scorer=rules");
        (await rules.Client.GetAsync("/ping")).StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
