using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gatehouse.ResourceServer.Tests.Tokens;

namespace Gatehouse.ResourceServer.Tests.Permissions;

/// <summary>The ready-made management API: only for the permissions:admin scope, 4xx with a reason for bad input.</summary>
public sealed class PermissionsApiTests(PermissionsHost host) : IClassFixture<PermissionsHost>
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    private string AdminToken => host.Authority.Issue(claims => claims["scope"] = "images:read permissions:admin");

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        return await host.Service.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task GrantCheckRevoke_ThroughTheApi()
    {
        var tuple = $"image:{_run}#write@user:u{_run}";

        using (var created = await SendAsync(HttpMethod.Post, "/permissions/tuples", AdminToken, JsonContent.Create(new { tuple })))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var again = await SendAsync(HttpMethod.Post, "/permissions/tuples", AdminToken, JsonContent.Create(new { tuple })))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        Assert.True(await IsAllowedAsync($"u{_run}", "write", $"image:{_run}"));

        using (var listed = await SendAsync(HttpMethod.Get, $"/permissions/tuples?object=image:{_run}", AdminToken))
        {
            var tuples = (await listed.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("tuples");
            Assert.Equal([tuple], tuples.EnumerateArray().Select(t => t.GetString()));
        }

        using (var revoked = await SendAsync(HttpMethod.Delete, "/permissions/tuples?tuple=" + Uri.EscapeDataString(tuple), AdminToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }

        Assert.False(await IsAllowedAsync($"u{_run}", "write", $"image:{_run}"));
        await AssertProblemAsync(await SendAsync(HttpMethod.Delete, "/permissions/tuples?tuple=" + Uri.EscapeDataString(tuple), AdminToken),
            HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task TokenWithoutTheAdminScope_IsForbidden()
    {
        var token = host.Authority.Issue();

        using var response = await SendAsync(HttpMethod.Post, "/permissions/tuples", token, JsonContent.Create(new { tuple = $"image:{_run}#write@user:me" }));

        await AccessTokenValidationTests.AssertRefusedAsync(response, "insufficient_scope", HttpStatusCode.Forbidden);
        Assert.False(await IsAllowedAsync("me", "write", $"image:{_run}"));
    }

    [Fact]
    public async Task NoToken_IsUnauthorized()
    {
        await AccessTokenValidationTests.AssertRefusedAsync(await SendAsync(HttpMethod.Get, "/permissions/check?user=a&relation=b&object=c:d", null), "missing_token");
    }

    [Theory]
    [InlineData("{\"tuple\":\"image:1#write\"}", "invalid_tuple")]
    [InlineData("{\"tuple\":null}", "invalid_tuple")]
    [InlineData("{}", "invalid_tuple")]
    [InlineData("{\"tuple\":", "invalid_json")]
    [InlineData("[1,2]", "invalid_json")]
    [InlineData("{\"tuple\":42}", "invalid_json")]
    public async Task MalformedGrant_IsABadRequest(string body, string code)
    {
        await AssertProblemAsync(await SendAsync(HttpMethod.Post, "/permissions/tuples", AdminToken, Json(body)), HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task GrantThatIsNotJson_IsUnsupported()
    {
        var form = new FormUrlEncodedContent([new("tuple", "image:1#write@user:7")]);

        await AssertProblemAsync(await SendAsync(HttpMethod.Post, "/permissions/tuples", AdminToken, form), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Fact]
    public async Task OversizedGrant_IsRefused()
    {
        var body = Json("{\"tuple\":\"" + new string('a', 10_000) + "\"}");

        await AssertProblemAsync(await SendAsync(HttpMethod.Post, "/permissions/tuples", AdminToken, body), HttpStatusCode.RequestEntityTooLarge, "body_too_large");
    }

    [Theory]
    [InlineData("/permissions/check?user=a&relation=read")]
    [InlineData("/permissions/check?user=a&relation=read&object=image")]
    [InlineData("/permissions/check?user=a b&relation=read&object=image:1")]
    [InlineData("/permissions/objects?user=a&relation=read")]
    [InlineData("/permissions/tuples?subject=robot:1")]
    [InlineData("/permissions/tuples?limit=0")]
    [InlineData("/permissions/tuples?after=x")]
    [InlineData("/permissions/tuples?tuple=image:1")]
    public async Task MalformedQuery_IsABadRequest(string path)
    {
        using var response = await SendAsync(path.Contains("tuple=") ? HttpMethod.Delete : HttpMethod.Get, path, AdminToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task DuplicateParameter_IsABadRequest()
    {
        await AssertProblemAsync(await SendAsync(HttpMethod.Get, "/permissions/check?user=a&user=b&relation=read&object=image:1", AdminToken),
            HttpStatusCode.BadRequest, "duplicate_parameter");
    }

    private async Task<bool> IsAllowedAsync(string user, string relation, string target)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/permissions/check?user={user}&relation={relation}&object={target}", AdminToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("allowed").GetBoolean();
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
            Assert.Equal(code, JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
        }
    }
}
