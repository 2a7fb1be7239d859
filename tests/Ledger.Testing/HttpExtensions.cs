using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Ledger.Testing;

public static class HttpExtensions
{
    public static Task<HttpResponseMessage> PostJsonAsync(this LedgerClient client, string url, object body) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) });

    public static Task<HttpResponseMessage> SendRawAsync(this LedgerClient client, HttpMethod method, string url, string body, string contentType = "application/json", string? ifMatch = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PatchJsonAsync(this LedgerClient client, string url, object body, string? ifMatch = null) =>
        client.SendRawAsync(HttpMethod.Patch, url, JsonSerializer.Serialize(body), ifMatch: ifMatch);

    public static Task<HttpResponseMessage> GetAsync(this LedgerClient client, string url) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Get, url));

    public static Task<HttpResponseMessage> DeleteAsync(this LedgerClient client, string url, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, url);
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return client.SendAsync(request);
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The problem's stable <c>code</c>, checking the content type is problem+json.</summary>
    public static async Task<string> ProblemCodeAsync(this HttpResponseMessage response)
    {
        var type = response.Content.Headers.ContentType?.MediaType;
        if (type != "application/problem+json")
        {
            throw new InvalidOperationException($"Expected application/problem+json, got '{type}' ({(int)response.StatusCode}): {await response.Content.ReadAsStringAsync()}");
        }

        var json = await response.JsonAsync();
        return json.GetProperty("code").GetString()!;
    }
}
