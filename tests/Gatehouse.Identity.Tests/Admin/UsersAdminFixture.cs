using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>
/// A node with browser clients (<see cref="OidcFixture"/>) and three admin API callers: one with the
/// users and audit scopes, one with the users scope only, one with the all-areas scope.
/// </summary>
public class UsersAdminFixture : OidcFixture
{
    public const string AdminClient = "admin-console";
    public const string AdminSecret = "admin-console-secret-0000001";
    public const string UsersOnlyClient = "support-desk";
    public const string UsersOnlySecret = "support-desk-secret-00000001";
    public const string FullAdminClient = "ops-console";
    public const string FullAdminSecret = "ops-console-secret-000000001";

    public static Dictionary<string, string?> AdminClients() => new()
    {
        [$"Gatehouse:Clients:{AdminClient}:Secret"] = AdminSecret,
        [$"Gatehouse:Clients:{AdminClient}:GrantTypes:0"] = "client_credentials",
        [$"Gatehouse:Clients:{AdminClient}:Scopes:0"] = "gatehouse:admin.users",
        [$"Gatehouse:Clients:{AdminClient}:Scopes:1"] = "gatehouse:admin.audit",
        [$"Gatehouse:Clients:{UsersOnlyClient}:Secret"] = UsersOnlySecret,
        [$"Gatehouse:Clients:{UsersOnlyClient}:GrantTypes:0"] = "client_credentials",
        [$"Gatehouse:Clients:{UsersOnlyClient}:Scopes:0"] = "gatehouse:admin.users",
        [$"Gatehouse:Clients:{FullAdminClient}:Secret"] = FullAdminSecret,
        [$"Gatehouse:Clients:{FullAdminClient}:GrantTypes:0"] = "client_credentials",
        [$"Gatehouse:Clients:{FullAdminClient}:Scopes:0"] = "gatehouse:admin",
        [$"Gatehouse:Clients:{FullAdminClient}:Scopes:1"] = "gatehouse:revocations",
    };

    protected override IReadOnlyDictionary<string, string?>? Overrides =>
        new Dictionary<string, string?>(BrowserClients().Concat(AdminClients()).Concat(Extra));

    protected virtual IReadOnlyDictionary<string, string?> Extra => new Dictionary<string, string?>();
}

/// <summary>Calls the admin API with a client-credentials token of one of the fixture's admin clients.</summary>
public sealed class AdminRequests(HttpClient http, string clientId = UsersAdminFixture.AdminClient, string secret = UsersAdminFixture.AdminSecret, string scope = "gatehouse:admin.users gatehouse:admin.audit")
{
    private string? _token;

    public HttpClient Http => http;

    public async Task<string> TokenAsync() => _token ??= await http.GetAccessTokenAsync(clientId, secret, scope);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? rawJson = null, string? contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new("Bearer", await TokenAsync());
        if (rawJson is not null)
        {
            request.Content = new StringContent(rawJson, Encoding.UTF8);
            request.Content.Headers.ContentType = contentType is null ? null : new(contentType);
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
}
