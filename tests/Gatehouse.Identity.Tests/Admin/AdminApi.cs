using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>
/// Calls the admin API the way an operator's tool would: with a client-credentials token of one client,
/// asking for <paramref name="scope"/> (every scope the client is allowed when null).
/// </summary>
public sealed class AdminApi(HttpClient http, string clientId, string secret, string? scope = null)
{
    private string? _token;

    /// <summary>The all-areas console of <see cref="AdminFixture"/> on <paramref name="app"/>.</summary>
    public static AdminApi Console(WebApplicationFactory<Program> app) =>
        new(app.CreateClient(), AdminFixture.Console, AdminFixture.ConsoleSecret);

    /// <summary>The client's access token, requested on first use and reused after.</summary>
    public async Task<string> TokenAsync() => _token ??= await http.GetAccessTokenAsync(clientId, secret, scope);

    /// <summary>Sends <paramref name="body"/> as JSON, or <paramref name="rawJson"/> as it is with <paramref name="contentType"/>.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? rawJson = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new("Bearer", await TokenAsync());
        if (rawJson is not null)
        {
            request.Content = new StringContent(rawJson, Encoding.UTF8, contentType);
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public Task<HttpResponseMessage> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<HttpResponseMessage> PostAsync(string path, object? body = null) => SendAsync(HttpMethod.Post, path, body);

    public Task<HttpResponseMessage> DeleteAsync(string path) => SendAsync(HttpMethod.Delete, path);

    /// <summary>Asserts the status and returns the JSON body.</summary>
    public static async Task<JsonElement> ExpectAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
            return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
        }
    }

    /// <summary>Asserts a 400 problem whose <c>errors</c> name <paramref name="field"/>, and returns it.</summary>
    public static async Task<JsonElement> ExpectNamedAsync(HttpResponseMessage response, string field)
    {
        var problem = await ExpectAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"the problem does not name '{field}': {problem.GetRawText()}");
        return problem;
    }

    /// <summary>Creates a user through the API and returns its id.</summary>
    public async Task<Guid> CreateUserAsync(string email, string? password = null, string? displayName = null)
    {
        var created = await ExpectAsync(await PostAsync("/admin/users", new { email, password, display_name = displayName, email_confirmed = true }), HttpStatusCode.Created);
        return created.GetProperty("id").GetGuid();
    }

    /// <summary>Registers a service client (see <see cref="ServiceClient"/>) and returns its id and secret.</summary>
    public async Task<(string ClientId, string Secret)> CreateServiceClientAsync(string name)
    {
        var clientId = NewClientId(name);
        var created = await ExpectAsync(await PostAsync("/admin/clients", ServiceClient(clientId)), HttpStatusCode.Created);
        return (clientId, created.GetProperty("client_secret").GetString()!);
    }

    /// <summary>A service client's registration: client credentials, the scope images.read.</summary>
    public static Dictionary<string, object?> ServiceClient(string clientId) => new()
    {
        ["client_id"] = clientId,
        ["type"] = "confidential",
        ["display_name"] = "Thumbnailer " + clientId,
        ["grant_types"] = new[] { "client_credentials" },
        ["scopes"] = new[] { "images.read" },
    };

    /// <summary>A public SPA's registration: code + PKCE, refresh tokens, exact https redirect URIs.</summary>
    public static Dictionary<string, object?> SpaClient(string clientId, string redirectUri, string postLogoutUri) => new()
    {
        ["client_id"] = clientId,
        ["type"] = "public",
        ["display_name"] = "SPA " + clientId,
        ["grant_types"] = new[] { "authorization_code", "refresh_token" },
        ["scopes"] = new[] { "openid", "profile", "email", "offline_access", "images.read" },
        ["redirect_uris"] = new[] { redirectUri },
        ["post_logout_redirect_uris"] = new[] { postLogoutUri },
        ["access_token_format"] = "reference",
        ["refresh_token_lifetime"] = 3600,
    };

    public static string NewClientId(string name) => name + "-" + Guid.NewGuid().ToString("N")[..8];
}
