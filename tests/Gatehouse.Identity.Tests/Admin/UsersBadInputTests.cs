using System.Net;
using Gatehouse.Identity.Tests.Accounts;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>Hostile and broken input to /admin/users: always a 4xx problem naming what is wrong, never a 500, never a record.</summary>
public sealed class UsersBadInputTests(AdminFixture fixture) : IClassFixture<AdminFixture>
{
    private readonly AdminApi _admin = new(fixture.App.CreateClient(), AdminFixture.UsersAdmin, AdminFixture.UsersAdminSecret);

    [Theory]
    [InlineData("{\"email\":", null)]
    [InlineData("[]", null)]
    [InlineData("{\"email\":42}", "email")]
    [InlineData("{\"email\":\"not-an-email\"}", "email")]
    [InlineData("{\"email\":\"a b@example.com\"}", "email")]
    [InlineData("{}", "email")]
    [InlineData("{\"email\":\"ok@example.com\",\"email_confirmed\":\"yes\"}", "email_confirmed")]
    [InlineData("{\"email\":\"ok@example.com\",\"display_name\":\"bell\\u0007\"}", "display_name")]
    [InlineData("{\"email\":\"ok@example.com\",\"display_name\":\"unassigned \\u0378\"}", "display_name")]
    [InlineData("{\"email\":\"ok@example.com\",\"password\":\"\"}", "password")]
    [InlineData("{\"email\":\"ok@example.com\",\"is_admin\":true}", "is_admin")]
    [InlineData("{\"email\":\"ok@example.com\",\"email\":\"other@example.com\"}", "email")]
    public async Task CreateUser_WithABadBody_IsA400NamingTheField(string json, string? field)
    {
        using var response = await _admin.SendAsync(HttpMethod.Post, "/admin/users", rawJson: json);

        var problem = await AdminApi.ExpectAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("invalid_request", problem.GetProperty("code").GetString());
        if (field is not null)
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.GetRawText());
        }
    }

    [Fact]
    public async Task CreateUser_WithAnOversizedBody_Is413_AndTextPlainIs415()
    {
        var huge = "{\"email\":\"ok@example.com\",\"display_name\":\"" + new string('a', 40_000) + "\"}";

        using var large = await _admin.SendAsync(HttpMethod.Post, "/admin/users", rawJson: huge);
        using var text = await _admin.SendAsync(HttpMethod.Post, "/admin/users", rawJson: "{\"email\":\"ok@example.com\"}", contentType: "text/plain");

        Assert.Equal("payload_too_large", await AccountApi.ProblemCodeAsync(large, HttpStatusCode.RequestEntityTooLarge));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        Assert.Equal("application/problem+json", text.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("{}", "body")]
    [InlineData("{\"status\":\"sleeping\"}", "status")]
    [InlineData("{\"status\":\"deleted\"}", "status")]
    [InlineData("{\"status\":1}", "status")]
    [InlineData("{\"email\":\"nope\"}", "email")]
    [InlineData("{\"display_name\":\"" + "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789x" + "\"}", "display_name")]
    [InlineData("{\"display_name\":\"unassigned \\u0378\"}", "display_name")]
    public async Task PatchUser_WithABadBody_IsA400NamingTheField_AndChangesNothing(string json, string field)
    {
        var email = AccountApi.NewEmail();
        var id = await _admin.CreateUserAsync(email, "plum-orbit-canyon-4471", "Kept");

        using var response = await _admin.SendAsync(HttpMethod.Patch, $"/admin/users/{id}", rawJson: json);

        await AdminApi.ExpectNamedAsync(response, field);
        var user = await AdminApi.ExpectAsync(await _admin.GetAsync($"/admin/users/{id}"), HttpStatusCode.OK);
        Assert.Equal("Kept", user.GetProperty("display_name").GetString());
        Assert.Equal(email, user.GetProperty("email").GetString());
        Assert.Equal("active", user.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("page_size=0", "page_size")]
    [InlineData("page_size=201", "page_size")]
    [InlineData("page_size=ten", "page_size")]
    [InlineData("page_size=-1", "page_size")]
    [InlineData("status=sleeping", "status")]
    [InlineData("page_token=not-a-token", "page_token")]
    [InlineData("email=a&email=b", "email")]
    public async Task ListUsers_WithABadQuery_IsA400NamingTheParameter(string query, string parameter)
    {
        using var response = await _admin.GetAsync("/admin/users?" + query);

        await AdminApi.ExpectNamedAsync(response, parameter);
    }

    [Theory]
    [InlineData("GET", "/admin/users/%20")]
    [InlineData("PATCH", "/admin/users/1")]
    [InlineData("DELETE", "/admin/users/00000000-0000-0000-0000-00000000000g")]
    [InlineData("POST", "/admin/users/abc/unban")]
    [InlineData("GET", "/admin/users/abc/sessions")]
    public async Task UserRoute_WithAMalformedId_IsA400NamingTheId(string method, string path)
    {
        using var response = await _admin.SendAsync(new HttpMethod(method), path, rawJson: method == "PATCH" ? "{\"display_name\":\"x\"}" : null);

        await AdminApi.ExpectNamedAsync(response, "id");
    }
}
