using System.Net;
using System.Net.Http.Headers;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Gatehouse.Identity.Tests.Connect;

/// <summary>Consent for third-party clients, UserInfo, end-session, opaque tokens, JWT introspection and token exchange.</summary>
public sealed class ConsentAndSessionTests(OidcFixture fixture) : IClassFixture<OidcFixture>
{
    private const string SpaScope = "openid offline_access images.read";

    private async Task<(BrowserFlow Browser, string Email)> SignedInAsync()
    {
        var (email, password) = await fixture.App.CreateUserAsync("consent");
        var browser = BrowserFlow.For(fixture.App);
        using var response = await browser.SignInThroughAsync("/Account/SignIn", email, password);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (browser, email);
    }

    [Fact]
    public async Task ThirdPartyClient_AsksForConsent_ThenRemembersIt()
    {
        var (browser, _) = await SignedInAsync();
        using var _b = browser;
        var url = browser.AuthorizeUrl(OidcFixture.SpaClient, OidcFixture.SpaRedirect, SpaScope);

        using var consentPage = await browser.FollowAsync(url);
        var html = await consentPage.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("Partner SPA", html);
        Assert.Contains("Stay signed in", html);
        await browser.GetCodeAsync(url, consent: true);

        using var second = await browser.GetAsync(browser.AuthorizeUrl(OidcFixture.SpaClient, OidcFixture.SpaRedirect, SpaScope));
        Assert.True(BrowserFlow.CallbackParameters(second).ContainsKey("code"), "consent given once is remembered");
    }

    [Fact]
    public async Task ThirdPartyClient_WithPromptNoneAndNoConsent_AnswersConsentRequired()
    {
        var (browser, _) = await SignedInAsync();
        using var _b = browser;

        using var response = await browser.GetAsync(browser.AuthorizeUrl(OidcFixture.SpaClient, OidcFixture.SpaRedirect, SpaScope, ("prompt", "none")));

        Assert.Equal("consent_required", BrowserFlow.CallbackParameters(response)["error"]);
    }

    [Fact]
    public async Task DenyingConsent_SendsAccessDeniedToTheClient_AndRemembersNothing()
    {
        var (browser, _) = await SignedInAsync();
        using var _b = browser;
        var url = browser.AuthorizeUrl(OidcFixture.SpaClient, OidcFixture.SpaRedirect, SpaScope, ("state", "s-1"));
        using var consentPage = await browser.FollowAsync(url);
        var html = await consentPage.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        using var denied = await browser.SubmitAsync(consentPage.RequestMessage!.RequestUri!.PathAndQuery, html, new() { ["decision"] = "deny" });
        using var toClient = await browser.FollowLocationAsync(denied);
        using var again = await browser.GetAsync(browser.AuthorizeUrl(OidcFixture.SpaClient, OidcFixture.SpaRedirect, SpaScope, ("prompt", "none")));

        var callback = BrowserFlow.CallbackParameters(toClient);
        Assert.Equal("access_denied", callback["error"]);
        Assert.Equal("s-1", callback["state"]);
        Assert.Equal("consent_required", BrowserFlow.CallbackParameters(again)["error"]);
    }

    [Fact]
    public async Task ConsentPage_WithAReturnUrlOutsideTheAuthorizationEndpoint_IsRefused()
    {
        var (browser, _) = await SignedInAsync();
        using var _b = browser;

        using var response = await browser.GetAsync("/Connect/Consent?returnUrl=" + Uri.EscapeDataString("https://evil.example/connect/authorize?client_id=partner-spa"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task WithdrawingConsent_ListsItFirst_ThenRevokesTheClientsRefreshTokens_AndAsksAgain()
    {
        var (browser, _) = await SignedInAsync();
        using var _b = browser;
        var (code, _) = await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.SpaClient, OidcFixture.SpaRedirect, SpaScope));
        using var redeemed = await browser.RedeemAsync(code, OidcFixture.SpaClient, OidcFixture.SpaRedirect);
        var refreshToken = (await BrowserFlow.TokensAsync(redeemed)).GetProperty("refresh_token").GetString()!;

        using var list = await browser.GetAsync("/Account/Consents");
        var html = await list.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("Partner SPA", html);
        using var withdrawn = await browser.SubmitAsync("/Account/Consents?handler=Withdraw", html, new() { ["clientId"] = OidcFixture.SpaClient });
        Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        Assert.Contains("was withdrawn", await withdrawn.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        using var refresh = await browser.RefreshAsync(refreshToken, OidcFixture.SpaClient);
        using var again = await browser.GetAsync(browser.AuthorizeUrl(OidcFixture.SpaClient, OidcFixture.SpaRedirect, SpaScope, ("prompt", "none")));
        Assert.Equal("invalid_grant", (await refresh.ReadJsonAsync()).GetProperty("error").GetString());
        Assert.Equal("consent_required", BrowserFlow.CallbackParameters(again)["error"]);
    }

    [Fact]
    public async Task ReferenceTokenClient_GetsAnOpaqueAccessToken_ThatWorksAtUserInfoByGetAndPost()
    {
        var (browser, email) = await SignedInAsync();
        using var _b = browser;
        var (code, _) = await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, "openid email"), consent: false);
        using var redeemed = await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret);
        var webToken = (await BrowserFlow.TokensAsync(redeemed)).GetProperty("access_token").GetString()!;
        var spaToken = await SpaAccessTokenAsync(browser);

        Assert.DoesNotContain('.', spaToken);
        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Post })
        {
            using var request = new HttpRequestMessage(method, "/connect/userinfo");
            request.Content = method == HttpMethod.Post ? new FormUrlEncodedContent([]) : null;
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", webToken);
            using var response = await browser.Http.SendAsync(request, TestContext.Current.CancellationToken);
            var claims = await response.ReadJsonAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(email, claims.GetProperty("email").GetString());
        }

        using var spaRequest = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        spaRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", spaToken);
        using var spaResponse = await browser.Http.SendAsync(spaRequest, TestContext.Current.CancellationToken);
        Assert.True(spaResponse.StatusCode == HttpStatusCode.OK, await spaResponse.Content.ReadAsStringAsync(TestContext.Current.CancellationToken) + spaResponse.Headers.WwwAuthenticate);
        Assert.False((await spaResponse.ReadJsonAsync()).TryGetProperty("email", out _), "no email scope, no email");
    }

    [Fact]
    public async Task UserInfo_WithoutOrWithABadToken_IsUnauthorized()
    {
        using var http = fixture.App.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "garbage");

        using var none = await http.GetAsync("/connect/userinfo", TestContext.Current.CancellationToken);
        using var bad = await http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
    }

    [Fact]
    public async Task Gateway_ExchangesAnOpaqueToken_ForAShortLivedJwtWithTheSameSubject()
    {
        var (browser, _) = await SignedInAsync();
        using var _b = browser;
        var opaque = await SpaAccessTokenAsync(browser);

        using var response = await ExchangeAsync(browser.Http, opaque, OidcFixture.GatewayClient, OidcFixture.GatewaySecret);
        var answer = await BrowserFlow.TokensAsync(response);

        var jwt = new JsonWebToken(answer.GetProperty("access_token").GetString());
        Assert.Equal("urn:ietf:params:oauth:token-type:access_token", answer.GetProperty("issued_token_type").GetString());
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.Contains(GatehouseApp.ImagesApiClient, jwt.Audiences);
        Assert.True(Guid.TryParse(jwt.Subject, out _));
        Assert.InRange(jwt.ValidTo - jwt.IssuedAt, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task TokenExchange_ByAClientWithoutThePermission_IsRefused()
    {
        var (browser, _) = await SignedInAsync();
        using var _b = browser;
        var opaque = await SpaAccessTokenAsync(browser);

        using var response = await ExchangeAsync(browser.Http, opaque, GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("unauthorized_client", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task JwtIntrospection_ForTheGateway_IsASignedJwtAboutTheOpaqueToken()
    {
        var (browser, _) = await SignedInAsync();
        using var _b = browser;
        var opaque = await SpaAccessTokenAsync(browser);

        using var response = await IntrospectAsJwtAsync(browser.Http, opaque, OidcFixture.GatewayClient, OidcFixture.GatewaySecret);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/token-introspection+jwt", response.Content.Headers.ContentType!.MediaType);
        var jwt = new JsonWebToken(body);
        Assert.Equal("token-introspection+jwt", jwt.Typ);
        Assert.Equal(OidcFixture.GatewayClient, Assert.Single(jwt.Audiences));
        var introspection = System.Text.Json.JsonDocument.Parse(jwt.GetClaim("token_introspection").Value).RootElement;
        Assert.True(introspection.GetProperty("active").GetBoolean());
        Assert.Equal(OidcFixture.SpaClient, introspection.GetProperty("client_id").GetString());
        var keys = new Microsoft.IdentityModel.Tokens.JsonWebKeySet(await browser.Http.GetStringAsync("/.well-known/jwks", TestContext.Current.CancellationToken));
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(body, new Microsoft.IdentityModel.Tokens.TokenValidationParameters
        {
            ValidIssuer = fixture.App.Server.BaseAddress.ToString(),
            ValidAudience = OidcFixture.GatewayClient,
            IssuerSigningKeys = keys.GetSigningKeys(),
            ValidTypes = ["token-introspection+jwt"],
            ValidateLifetime = false,
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
    }

    [Fact]
    public async Task JwtIntrospection_ByAClientWithoutThePermission_IsRefused()
    {
        using var http = fixture.App.CreateClient();
        var token = await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");

        using var response = await IntrospectAsJwtAsync(http, token, GatehouseApp.ImagesApiClient, GatehouseApp.ImagesApiSecret);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("unauthorized_client", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task EndSession_WithIdTokenHint_SignsOutAndReturnsToTheRegisteredUriWithState()
    {
        var (browser, _) = await SignedInAsync();
        using var _b = browser;
        var (code, _) = await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, "openid offline_access"), consent: false);
        using var redeemed = await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret);
        var tokens = await BrowserFlow.TokensAsync(redeemed);

        using var response = await browser.GetAsync("/connect/endsession?id_token_hint=" + tokens.GetProperty("id_token").GetString()
            + "&post_logout_redirect_uri=" + Uri.EscapeDataString(OidcFixture.WebLoggedOut) + "&state=bye-1");
        using var promptNone = await browser.GetAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, "openid", ("prompt", "none")));
        using var refresh = await browser.RefreshAsync(tokens.GetProperty("refresh_token").GetString()!, OidcFixture.WebClient, OidcFixture.WebSecret);

        Assert.Equal(OidcFixture.WebLoggedOut, response.Headers.Location!.GetLeftPart(UriPartial.Path));
        Assert.Equal("bye-1", BrowserFlow.CallbackParameters(response)["state"]);
        Assert.Equal("login_required", BrowserFlow.CallbackParameters(promptNone)["error"]);
        Assert.Equal("invalid_grant", (await refresh.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("https://evil.example/bye", true, HttpStatusCode.BadRequest)]
    [InlineData("https://web.example.com/signed-out/", true, HttpStatusCode.BadRequest)]
    [InlineData(OidcFixture.WebLoggedOut, false, HttpStatusCode.OK)]
    public async Task EndSession_WithAnUnregisteredUriOrABadHint_NeverRedirects(string postLogoutUri, bool validHint, HttpStatusCode expected)
    {
        var (browser, _) = await SignedInAsync();
        using var _b = browser;
        var (code, _) = await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, "openid"), consent: false);
        using var redeemed = await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret);
        var idToken = (await BrowserFlow.TokensAsync(redeemed)).GetProperty("id_token").GetString()!;
        var hint = validHint ? idToken : idToken[..^4] + "AAAA";

        using var response = await browser.GetAsync("/connect/endsession?id_token_hint=" + hint
            + "&post_logout_redirect_uri=" + Uri.EscapeDataString(postLogoutUri) + "&state=x");

        // An unregistered URI is an error page; a bad hint only earns a confirmation form.
        Assert.Equal(expected, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task EndSession_WithoutHint_AsksTheUserToConfirm()
    {
        var (browser, _) = await SignedInAsync();
        using var _b = browser;

        using var page = await browser.GetAsync("/connect/endsession?client_id=" + OidcFixture.WebClient
            + "&post_logout_redirect_uri=" + Uri.EscapeDataString(OidcFixture.WebLoggedOut));
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var confirmed = await browser.SubmitAsync("/connect/endsession", html, new() { ["confirm"] = "yes" });

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Sign out?", html);
        Assert.Equal(OidcFixture.WebLoggedOut, confirmed.Headers.Location!.GetLeftPart(UriPartial.Path));
    }

    private static async Task<string> SpaAccessTokenAsync(BrowserFlow browser)
    {
        var (code, _) = await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.SpaClient, OidcFixture.SpaRedirect, SpaScope));
        using var redeemed = await browser.RedeemAsync(code, OidcFixture.SpaClient, OidcFixture.SpaRedirect);
        return (await BrowserFlow.TokensAsync(redeemed)).GetProperty("access_token").GetString()!;
    }

    private static Task<HttpResponseMessage> ExchangeAsync(HttpClient http, string token, string clientId, string secret) =>
        http.PostFormAsync("/connect/token",
        [
            new("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
            new("subject_token", token),
            new("subject_token_type", "urn:ietf:params:oauth:token-type:access_token"),
        ], ProtocolClient.Basic(clientId, secret));

    private static async Task<HttpResponseMessage> IntrospectAsJwtAsync(HttpClient http, string token, string clientId, string secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/introspect") { Content = new FormUrlEncodedContent([new("token", token)]) };
        request.Headers.Authorization = ProtocolClient.Basic(clientId, secret);
        request.Headers.Accept.ParseAdd("application/token-introspection+jwt");
        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }
}
