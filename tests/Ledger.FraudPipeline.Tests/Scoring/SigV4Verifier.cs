using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ledger.FraudPipeline.Tests.Scoring;

/// <summary>
/// Checks a SigV4 header signature the way AWS does, written from the documented algorithm
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html) and NOT with AWSSDK.Core, so a misuse
/// of the SDK's signer by production code cannot pass by agreeing with itself. Checked against AWS's published
/// get-vanilla test vector in sigv4_verifier.cs.
/// </summary>
public static class SigV4Verifier
{
    public sealed record Key(string Secret, string? SessionToken);

    /// <summary>A refusal: AWS's error type (x-amzn-ErrorType) and message.</summary>
    public sealed record Refusal(string ErrorType, string Message);

    public static Refusal? Verify(
        string method, string rawPath, string rawQuery, IReadOnlyDictionary<string, string> headers, byte[] body,
        Func<string, Key?> keys, string region, string service, DateTimeOffset now)
    {
        if (!headers.TryGetValue("authorization", out var authorization) || !authorization.StartsWith("AWS4-HMAC-SHA256 ", StringComparison.Ordinal))
        {
            return new("MissingAuthenticationTokenException", "Missing Authentication Token");
        }

        var parts = authorization["AWS4-HMAC-SHA256 ".Length..].Split(',', StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        if (!parts.TryGetValue("Credential", out var credential) || !parts.TryGetValue("SignedHeaders", out var signedHeaders)
            || !parts.TryGetValue("Signature", out var signature))
        {
            return new("IncompleteSignatureException", "Authorization header requires Credential, SignedHeaders and Signature.");
        }

        var scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
        {
            return new("IncompleteSignatureException", "Malformed credential scope.");
        }

        if (keys(scope[0]) is not { } key)
        {
            return new("UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        if (scope[2] != region || scope[3] != service)
        {
            return new("InvalidSignatureException", $"Credential should be scoped to region '{region}' and service '{service}'.");
        }

        var signed = signedHeaders.Split(';');
        if (!signed.Contains("host") || !signed.Contains("x-amz-date"))
        {
            return new("InvalidSignatureException", "host and x-amz-date must be signed.");
        }

        if (key.SessionToken is not null && (!signed.Contains("x-amz-security-token")
            || headers.GetValueOrDefault("x-amz-security-token") != key.SessionToken))
        {
            return new("UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        if (!headers.TryGetValue("x-amz-date", out var amzDate)
            || !DateTime.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
            || amzDate[..8] != scope[1])
        {
            return new("IncompleteSignatureException", "x-amz-date is missing, malformed, or not the credential's date.");
        }

        if ((now - new DateTimeOffset(at, TimeSpan.Zero)).Duration() > TimeSpan.FromMinutes(15))
        {
            return new("InvalidSignatureException", "Signature expired.");
        }

        var payloadHash = Hex(SHA256.HashData(body));
        if (headers.TryGetValue("x-amz-content-sha256", out var declared) && declared != payloadHash)
        {
            return new("InvalidSignatureException", "The provided x-amz-content-sha256 header does not match what was computed.");
        }

        var canonicalHeaders = new StringBuilder();
        foreach (var name in signed)
        {
            if (!headers.TryGetValue(name, out var value))
            {
                return new("InvalidSignatureException", $"Signed header '{name}' is missing.");
            }

            canonicalHeaders.Append(name).Append(':').Append(string.Join(' ', value.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries))).Append('\n');
        }

        var canonicalRequest = string.Join('\n',
            method, CanonicalPath(rawPath), CanonicalQuery(rawQuery), canonicalHeaders.ToString(), signedHeaders, payloadHash);
        var stringToSign = string.Join('\n',
            "AWS4-HMAC-SHA256", amzDate, string.Join('/', scope[1..]), Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest))));

        var signingKey = Hmac(Encoding.UTF8.GetBytes("AWS4" + key.Secret), scope[1]);
        signingKey = Hmac(signingKey, scope[2]);
        signingKey = Hmac(signingKey, scope[3]);
        signingKey = Hmac(signingKey, "aws4_request");
        var expected = Hex(Hmac(signingKey, stringToSign));

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature))
            ? null
            : new("InvalidSignatureException", "The request signature we calculated does not match the signature you provided.");
    }

    /// <summary>Services other than S3: each segment of the path as sent is URI-encoded once more ("encoded twice").</summary>
    private static string CanonicalPath(string rawPath) =>
        rawPath.Length == 0 ? "/" : string.Join('/', rawPath.Split('/').Select(UriEncode));

    private static string CanonicalQuery(string rawQuery) =>
        string.Join('&', rawQuery.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => (Name: UriEncode(Uri.UnescapeDataString(p[0])), Value: UriEncode(Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""))))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value));

    private static string UriEncode(string s)
    {
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(s))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~')
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
