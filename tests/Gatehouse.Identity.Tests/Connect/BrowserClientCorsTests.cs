using System.Net;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Connect;

/// <summary>Single-page apps call the token, revocation and UserInfo endpoints from their own origin.</summary>
public sealed class BrowserClientCorsTests(OidcFixture fixture) : IClassFixture<OidcFixture>
{
    private const string SpaOrigin = "https://spa.partner.example";

    private readonly HttpClient _http = fixture.App.CreateClient();

    [Theory]
    [InlineData("/connect/token")]
    [InlineData("/connect/userinfo")]
    [InlineData("/connect/revoke")]
    public async Task Preflight_FromARegisteredSpaOrigin_IsAllowed(string path)
    {
        using var response = await PreflightAsync(path, SpaOrigin);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(SpaOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"));
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("https://web.example.com")] // a confidential client's origin: its server calls the token endpoint, not the browser
    public async Task Preflight_FromAnyOtherOrigin_GetsNoCorsHeaders(string origin)
    {
        using var response = await PreflightAsync("/connect/token", origin);

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task TokenError_ForARegisteredSpaOrigin_CarriesTheCorsHeader()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "refresh_token"), new("client_id", OidcFixture.SpaClient), new("refresh_token", "x")]),
        };
        request.Headers.Add("Origin", SpaOrigin);

        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(SpaOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    private async Task<HttpResponseMessage> PreflightAsync(string path, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");
        return await _http.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
