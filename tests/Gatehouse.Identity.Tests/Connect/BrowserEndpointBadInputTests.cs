using System.Net;
using System.Text;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Connect;

/// <summary>Hostile or broken input at the endpoints people's browsers and apps reach: a 4xx, never a 500, never a redirect to an unchecked address.</summary>
public sealed class BrowserEndpointBadInputTests(OidcFixture fixture) : IClassFixture<OidcFixture>
{
    public static TheoryData<string> BrowserEndpoints => ["/connect/authorize", "/connect/endsession", "/connect/userinfo"];

    private readonly HttpClient _http = fixture.App.CreateClient(new() { AllowAutoRedirect = false });

    [Theory]
    [MemberData(nameof(BrowserEndpoints))]
    public async Task Endpoint_WithOversizedBody_IsRefusedWith413(string endpoint)
    {
        using var content = new StringContent("client_id=web-app&state=" + new string('a', 64 * 1024), Encoding.ASCII, "application/x-www-form-urlencoded");

        using var response = await _http.PostAsync(endpoint, content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Theory]
    [MemberData(nameof(BrowserEndpoints))]
    public async Task Endpoint_WithMalformedFormBody_AnswersA4xxNot500(string endpoint)
    {
        using var content = new ByteArrayContent([0x25, 0xff, 0xfe, 0x3d, 0x26, 0x26, 0x3d, 0x3d, 0x00, 0x25, 0x7a]);
        content.Headers.ContentType = new("application/x-www-form-urlencoded");

        using var response = await _http.PostAsync(endpoint, content, TestContext.Current.CancellationToken);

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Null(response.Headers.Location);
    }

    [Theory]
    [MemberData(nameof(BrowserEndpoints))]
    public async Task Endpoint_WithAParameterSentTwice_IsInvalidRequest(string endpoint)
    {
        using var response = await _http.GetAsync(endpoint + "?client_id=web-app&client_id=partner-spa", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("?client_id=web-app")]
    [InlineData("?response_type=code")]
    [InlineData("?client_id=web-app&redirect_uri=https%3A%2F%2Fweb.example.com%2Fsignin-oidc")]
    [InlineData("?client_id=web-app&redirect_uri=not-a-uri&response_type=code&scope=openid")]
    public async Task Authorize_WithMissingOrMalformedParameters_ShowsAnErrorPageWithoutRedirect(string query)
    {
        using var response = await _http.GetAsync("/connect/authorize" + query, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("cannot be completed", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("/connect/authorize?client_id=%00%01&redirect_uri=%00&response_type=code&scope=openid")]
    [InlineData("/connect/endsession?client_id=web%00app")]
    [InlineData("/connect/token?client_id=web%00app")]
    public async Task Endpoint_WithANulCharacter_IsInvalidRequestWithoutRedirect(string url)
    {
        using var response = await _http.GetAsync(url, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Equal("invalid_request", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("grant_type=authorization_code&client_id=partner-spa&redirect_uri=https%3A%2F%2Fspa.partner.example%2Fcallback&code_verifier=x")]
    [InlineData("grant_type=authorization_code&client_id=partner-spa&code=garbage&redirect_uri=https%3A%2F%2Fspa.partner.example%2Fcallback")]
    [InlineData("grant_type=refresh_token&client_id=partner-spa")]
    [InlineData("grant_type=refresh_token&client_id=partner-spa&refresh_token=garbage")]
    [InlineData("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token")]
    [InlineData("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=garbage&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token")]
    [InlineData("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=garbage&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid_token")]
    public async Task Token_WithBrokenCodeRefreshOrExchangeRequests_IsAnOAuthError(string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new StringContent(body, Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        if (body.Contains("token-exchange"))
        {
            request.Headers.Authorization = ProtocolClient.Basic(OidcFixture.GatewayClient, OidcFixture.GatewaySecret);
        }

        using var response = await _http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.ReadJsonAsync()).GetProperty("error").GetString();
        Assert.Contains(error, new[] { "invalid_request", "invalid_grant" });
    }

    [Fact]
    public async Task UserInfo_WithJsonBody_IsRefused()
    {
        using var content = new StringContent("""{"access_token":"x"}""", Encoding.UTF8, "application/json");

        using var response = await _http.PostAsync("/connect/userinfo", content, TestContext.Current.CancellationToken);

        Assert.InRange((int)response.StatusCode, 400, 499);
    }

    [Fact]
    public async Task EndSession_WithUnknownClientAndForeignRedirect_ShowsAnErrorWithoutRedirect()
    {
        using var response = await _http.GetAsync("/connect/endsession?client_id=nobody&post_logout_redirect_uri=" +
            Uri.EscapeDataString("https://evil.example/"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }
}
