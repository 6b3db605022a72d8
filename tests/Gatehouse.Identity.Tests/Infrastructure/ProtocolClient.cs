using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Gatehouse.Identity.Tests.Infrastructure;

/// <summary>Small helpers for talking OAuth to a node the way a client library would.</summary>
public static class ProtocolClient
{
    public static AuthenticationHeaderValue Basic(string clientId, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
            Uri.EscapeDataString(clientId) + ":" + Uri.EscapeDataString(secret))));

    public static async Task<HttpResponseMessage> PostFormAsync(
        this HttpClient http, string path, IEnumerable<KeyValuePair<string, string>> form, AuthenticationHeaderValue? authorization = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = authorization;
        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static Task<HttpResponseMessage> RequestClientCredentialsAsync(
        this HttpClient http, string clientId, string secret, string? scope = null, params string[] resources)
    {
        var form = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials") };
        if (scope is not null)
        {
            form.Add(new("scope", scope));
        }

        form.AddRange(resources.Select(resource => new KeyValuePair<string, string>("resource", resource)));
        return http.PostFormAsync("/connect/token", form, Basic(clientId, secret));
    }

    /// <summary>Gets a token or fails the test with the server's answer.</summary>
    public static async Task<string> GetAccessTokenAsync(this HttpClient http, string clientId, string secret, string? scope = null)
    {
        using var response = await http.RequestClientCredentialsAsync(clientId, secret, scope);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"token request failed: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>Asks introspection, as the images-api resource server, whether a token is active.</summary>
    public static async Task<bool> IsActiveAsync(this HttpClient http, string token)
    {
        using var response = await http.PostFormAsync("/connect/introspect", [new("token", token)],
            Basic(GatehouseApp.ImagesApiClient, GatehouseApp.ImagesApiSecret));
        return (await response.ReadJsonAsync()).GetProperty("active").GetBoolean();
    }

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        try
        {
            return JsonDocument.Parse(body).RootElement.Clone();
        }
        catch (JsonException)
        {
            Assert.Fail($"Expected JSON, got {(int)response.StatusCode} {response.Content.Headers.ContentType}: {body}");
            throw;
        }
    }

    public static JsonWebToken Read(string token) => new(token);
}
