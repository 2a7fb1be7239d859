using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;

namespace Ledger.FraudPipeline.Scoring;

/// <summary>
/// Signs each SageMaker runtime request with AWS Signature Version 4 using AWSSDK.Core's
/// <see cref="AWSSigV4Signer"/> (no signing code of our own). AWSSDK.Core's own <c>SigV4SigningHandler</c> is not used
/// because it always installs its own transport as inner handler, which IHttpClientFactory's pipeline refuses.
/// Signed: host, content-type, accept, x-amz-date, x-amz-content-sha256 (the body's hash) and, with session
/// credentials, x-amz-security-token. Credentials are asked for on every send so rotating ones (instance roles, SSO)
/// stay current. The signing time is the SDK's clock-skew-corrected now.
/// </summary>
public sealed class SageMakerSigningHandler(Func<AWSCredentials> credentials, string region) : DelegatingHandler
{
    private readonly RegionEndpoint _region = RegionEndpoint.GetBySystemName(region);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var signing = new AWSSigningRequest
        {
            HttpMethod = request.Method,
            RequestUri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI."),
            Content = body,
        };
        if (request.Content?.Headers.ContentType is { } contentType)
        {
            signing.Headers["content-type"] = contentType.ToString();
        }

        if (request.Headers.Accept.Count > 0)
        {
            signing.Headers["accept"] = string.Join(',', request.Headers.Accept.Select(a => a.ToString().Trim()));
        }

        var parameters = new AWSSigV4Parameters
        {
            Credentials = credentials(),
            Region = _region,
            Service = SageMakerScorer.SigningService,
        };
        var result = await AWSSigV4Signer.SignAsync(signing, parameters, cancellationToken);
        foreach (var (name, value) in result.Headers)
        {
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await base.SendAsync(request, cancellationToken);
    }
}
