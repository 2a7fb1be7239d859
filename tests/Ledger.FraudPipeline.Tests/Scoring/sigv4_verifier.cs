using System.Text;

namespace Ledger.FraudPipeline.Tests.Scoring;

/// <summary>The fake runtime's verifier against AWS's published SigV4 test suite (get-vanilla), so its 403s mean something.</summary>
public sealed class sigv4_verifier
{
    private static readonly SigV4Verifier.Key Example = new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", null);
    private static readonly DateTimeOffset At = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    private static Dictionary<string, string> Vanilla(string signature) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["host"] = "example.amazonaws.com",
        ["x-amz-date"] = "20150830T123600Z",
        ["authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + signature,
    };

    private static SigV4Verifier.Refusal? Check(Dictionary<string, string> headers, string path = "/", byte[]? body = null) =>
        SigV4Verifier.Verify("GET", path, "", headers, body ?? [], k => k == "AKIDEXAMPLE" ? Example : null, "us-east-1", "service", At);

    [Fact]
    public void accepts_aws_published_get_vanilla_signature() =>
        Check(Vanilla("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")).Should().BeNull();

    [Fact]
    public void refuses_the_vanilla_signature_for_another_path_body_or_a_flipped_digit()
    {
        var good = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
        Check(Vanilla(good), path: "/other").Should().NotBeNull();
        Check(Vanilla(good), body: Encoding.UTF8.GetBytes("x")).Should().NotBeNull();
        Check(Vanilla("6" + good[1..]))!.ErrorType.Should().Be("InvalidSignatureException");
    }
}
