using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>
/// A node with the browser clients and their administrator (<see cref="OidcFixture"/>), plus service
/// clients allowed the admin API's scopes: every area, the clients area only, the keys area only, and
/// none; and a first-party web app allowed to ask for an admin scope on a user's behalf.
/// </summary>
public class AdminFixture : GatehouseFixture
{
    public const string Console = "admin-console";
    public const string ConsoleSecret = "admin-console-secret-000001";
    public const string ClientsAdmin = "clients-admin";
    public const string ClientsAdminSecret = "clients-admin-secret-000001";
    public const string KeysAdmin = "keys-admin";
    public const string KeysAdminSecret = "keys-admin-secret-00000001";

    public const string AdminWeb = "admin-web";
    public const string AdminWebSecret = "admin-web-secret-000000001";
    public const string AdminWebRedirect = "https://admin-web.example/callback";

    public static Dictionary<string, string?> Settings()
    {
        var settings = new Dictionary<string, string?>(OidcFixture.BrowserClients())
        {
            [$"Gatehouse:Clients:{Console}:Secret"] = ConsoleSecret,
            [$"Gatehouse:Clients:{Console}:GrantTypes:0"] = "client_credentials",
            [$"Gatehouse:Clients:{Console}:Scopes:0"] = "gatehouse:admin",
            [$"Gatehouse:Clients:{ClientsAdmin}:Secret"] = ClientsAdminSecret,
            [$"Gatehouse:Clients:{ClientsAdmin}:GrantTypes:0"] = "client_credentials",
            [$"Gatehouse:Clients:{ClientsAdmin}:Scopes:0"] = "gatehouse:admin.clients",
            [$"Gatehouse:Clients:{KeysAdmin}:Secret"] = KeysAdminSecret,
            [$"Gatehouse:Clients:{KeysAdmin}:GrantTypes:0"] = "client_credentials",
            [$"Gatehouse:Clients:{KeysAdmin}:Scopes:0"] = "gatehouse:admin.keys",

            [$"Gatehouse:Clients:{AdminWeb}:Secret"] = AdminWebSecret,
            [$"Gatehouse:Clients:{AdminWeb}:FirstParty"] = "true",
            [$"Gatehouse:Clients:{AdminWeb}:GrantTypes:0"] = "authorization_code",
            [$"Gatehouse:Clients:{AdminWeb}:GrantTypes:1"] = "refresh_token",
            [$"Gatehouse:Clients:{AdminWeb}:RedirectUris:0"] = AdminWebRedirect,
            [$"Gatehouse:Clients:{AdminWeb}:Scopes:0"] = "openid",
            [$"Gatehouse:Clients:{AdminWeb}:Scopes:1"] = "offline_access",
            [$"Gatehouse:Clients:{AdminWeb}:Scopes:2"] = "gatehouse:admin.keys",
        };
        return settings;
    }

    protected override IReadOnlyDictionary<string, string?>? Overrides => Settings();
}

/// <summary>Calling the admin API the way an operator's tool would.</summary>
public static class AdminCalls
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>An HTTP client carrying a client-credentials token of <paramref name="clientId"/>.</summary>
    public static async Task<HttpClient> AdminClientAsync(this HttpClient http, string clientId, string secret)
    {
        var token = await http.GetAccessTokenAsync(clientId, secret);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public static Task<HttpClient> ConsoleAsync(this Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> app) =>
        app.CreateClient().AdminClientAsync(AdminFixture.Console, AdminFixture.ConsoleSecret);

    public static async Task<HttpResponseMessage> SendJsonAsync(this HttpClient http, HttpMethod method, string path, string json)
    {
        using var request = new HttpRequestMessage(method, path)
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient http, string path, object body) =>
        http.PostAsJsonAsync(path, body, Json, TestContext.Current.CancellationToken);

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

    /// <summary>Registers a service client (see <see cref="ServiceClient"/>) and returns its id and secret.</summary>
    public static async Task<(string ClientId, string Secret)> CreateServiceClientAsync(this HttpClient admin, string name)
    {
        var clientId = NewClientId(name);
        using var created = await admin.PostJsonAsync("/admin/clients", ServiceClient(clientId));
        var body = await created.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(created.StatusCode == System.Net.HttpStatusCode.Created, body);
        return (clientId, JsonDocument.Parse(body).RootElement.GetProperty("client_secret").GetString()!);
    }

    public static string NewClientId(string name) => name + "-" + Guid.NewGuid().ToString("N")[..8];
}
