using System.Net;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Gatehouse.Identity.Tests.Connect;

/// <summary>The authorization endpoint and the hosted sign-in page, driven as a browser without JavaScript.</summary>
public sealed class AuthorizationEndpointTests(OidcFixture fixture) : IClassFixture<OidcFixture>
{
    private const string Scope = "openid profile email offline_access";

    private BrowserFlow NewBrowser() => BrowserFlow.For(fixture.App);

    [Fact]
    public async Task CodeFlow_ForFirstPartyClient_SkipsConsentAndIssuesAnIdTokenWithSubNonceAuthTimeAndAmr()
    {
        using var browser = NewBrowser();
        var url = browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope, ("nonce", "n-0S6_WzA2Mj"), ("state", "af0ifjsldkj"));

        var (code, callback) = await browser.GetCodeAsync(url, consent: false);
        using var redeemed = await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret);
        var tokens = await BrowserFlow.TokensAsync(redeemed);

        Assert.Equal("af0ifjsldkj", callback["state"]);
        Assert.Equal(fixture.App.Server.BaseAddress.ToString(), callback["iss"]);
        var idToken = new JsonWebToken(tokens.GetProperty("id_token").GetString());
        Assert.Equal("n-0S6_WzA2Mj", idToken.GetClaim("nonce").Value);
        Assert.True(Guid.TryParse(idToken.Subject, out _));
        Assert.InRange(long.Parse(idToken.GetClaim("auth_time").Value), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());
        Assert.Contains("\"amr\":[\"pwd\"]", System.Text.Encoding.UTF8.GetString(Base64UrlDecode(idToken.EncodedPayload)));
        Assert.False(string.IsNullOrEmpty(idToken.GetClaim("sid").Value));
        Assert.Equal(OidcFixture.UserEmail, idToken.GetClaim("email").Value);
        Assert.True(tokens.TryGetProperty("refresh_token", out _));
        var accessToken = new JsonWebToken(tokens.GetProperty("access_token").GetString());
        Assert.Equal(idToken.Subject, accessToken.Subject);
        Assert.False(accessToken.TryGetClaim("email", out _), "personal data stays out of access tokens");
        Assert.False(accessToken.TryGetClaim("gh_stamp", out _));
    }

    [Fact]
    public async Task Authorize_WithUnregisteredRedirectUri_ShowsAnErrorPageAndNeverRedirects()
    {
        using var browser = NewBrowser();

        using var response = await browser.GetAsync(browser.AuthorizeUrl(OidcFixture.WebClient, "https://evil.example/steal", Scope));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("invalid_request", html);
        Assert.DoesNotContain("evil.example/steal\"", html);
    }

    [Theory]
    [InlineData("https://web.example.com/signin-oidc/")]
    [InlineData("https://web.example.com/signin-oidc?x=1")]
    [InlineData("https://WEB.example.com:444/signin-oidc")]
    [InlineData("http://web.example.com/signin-oidc")]
    public async Task Authorize_WithRedirectUriThatOnlyResemblesTheRegisteredOne_IsNotRedirected(string redirectUri)
    {
        using var browser = NewBrowser();

        using var response = await browser.GetAsync(browser.AuthorizeUrl(OidcFixture.WebClient, redirectUri, Scope));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Authorize_ForUnknownClient_ShowsAnErrorPage()
    {
        using var browser = NewBrowser();

        using var response = await browser.GetAsync(browser.AuthorizeUrl("nobody", OidcFixture.WebRedirect, Scope));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Theory]
    [InlineData("code_challenge", null, "invalid_request")]
    [InlineData("code_challenge_method", "plain", "invalid_request")]
    [InlineData("response_type", "token", "unsupported_response_type")]
    [InlineData("response_type", "code id_token", "unsupported_response_type")]
    [InlineData("response_type", "id_token", "unsupported_response_type")]
    [InlineData("scope", "openid orders.read", "invalid_request")]
    public async Task Authorize_WithoutS256PkceOrAnotherResponseTypeOrAForeignScope_IsRefusedBeforeAnyCode(string parameter, string? value, string error)
    {
        using var browser = NewBrowser();
        await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope), consent: false);

        using var response = await browser.GetAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope, (parameter, value)));

        // Refused while the parameters are read, before the redirect URI is trusted: shown here, sent nowhere.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains(error, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Authorize_WithAParameterSentTwice_IsRefusedWithoutRedirect()
    {
        using var browser = NewBrowser();
        var url = browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope) + "&redirect_uri=" + Uri.EscapeDataString("https://evil.example/");

        using var response = await browser.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task PromptNone_WithoutASession_AnswersLoginRequired()
    {
        using var browser = NewBrowser();

        using var response = await browser.GetAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope, ("prompt", "none")));

        Assert.Equal("login_required", BrowserFlow.CallbackParameters(response)["error"]);
    }

    [Fact]
    public async Task PromptNone_WithASession_IssuesACodeWithoutAnyPage()
    {
        using var browser = NewBrowser();
        await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope), consent: false);

        using var response = await browser.GetAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope, ("prompt", "none")));

        Assert.True(BrowserFlow.CallbackParameters(response).ContainsKey("code"));
    }

    [Theory]
    [InlineData("prompt", "login")]
    [InlineData("max_age", "0")]
    public async Task PromptLoginOrAnExceededMaxAge_AsksForThePasswordAgain_ThenIssuesTheCode(string parameter, string value)
    {
        using var browser = NewBrowser();
        await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope), consent: false);
        var url = browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope, (parameter, value));

        using var response = await browser.FollowAsync(url);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("name=\"Password\"", html);

        using var afterSignIn = await browser.SignInThroughAsync(url);
        Assert.True(BrowserFlow.CallbackParameters(afterSignIn).ContainsKey("code"));
    }

    [Fact]
    public async Task NativeClient_MayUseAnyLoopbackPort_ButNoOtherHost()
    {
        using var browser = NewBrowser();

        var (code, _) = await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.NativeClient, "http://127.0.0.1:53127/callback", "openid"), consent: false);
        using var elsewhere = await browser.GetAsync(browser.AuthorizeUrl(OidcFixture.NativeClient, "http://127.0.0.2:53127/callback", "openid"));

        Assert.False(string.IsNullOrEmpty(code));
        Assert.Equal(HttpStatusCode.BadRequest, elsewhere.StatusCode);
        Assert.Null(elsewhere.Headers.Location);
    }

    [Fact]
    public async Task SignIn_WithWrongPassword_ShowsTheSameMessageAsForAnUnknownEmail()
    {
        using var browser = NewBrowser();
        var url = browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope);

        using var wrongPassword = await browser.SignInThroughAsync(url, password: "not the password");
        using var unknownEmail = await browser.SignInThroughAsync(url, email: "nobody@example.com");

        Assert.Equal(HttpStatusCode.OK, wrongPassword.StatusCode);
        var wrong = await wrongPassword.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var unknown = await unknownEmail.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("The email or password is not right", wrong);
        Assert.Contains("The email or password is not right", unknown);
        Assert.Contains("aria-invalid=\"true\"", wrong);
    }

    [Fact]
    public async Task SignIn_WithWrongPasswords_CountsTowardsLockout_ThenRefusesEvenTheRightOne()
    {
        var (email, password) = await fixture.App.CreateUserAsync("lockout");
        using var browser = NewBrowser();
        var url = browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope);

        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var wrong = await browser.SignInThroughAsync(url, email, "wrong password " + attempt);
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }

        using var right = await browser.SignInThroughAsync(url, email, password);

        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("The email or password is not right", await right.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task SignIn_WithANulCharacterInTheEmail_IsRefusedWithoutAServerErrorOrASession()
    {
        using var browser = NewBrowser();

        using var response = await browser.SignInThroughAsync("/Account/SignIn", email: "ada\0@example.com");

        Assert.InRange((int)response.StatusCode, 200, 499);
        Assert.False(BrowserFlow.IsRedirect(response));
        Assert.DoesNotContain(browser.Cookies.GetAllCookies(), cookie => cookie.Name == "gh-session");
    }

    [Fact]
    public async Task SignIn_WithAnExternalReturnUrl_GoesHomeInstead()
    {
        using var browser = NewBrowser();

        using var response = await browser.SignInThroughAsync("/Account/SignIn?returnUrl=" + Uri.EscapeDataString("https://evil.example/"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/", response.RequestMessage!.RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task SignIn_WithoutAntiforgeryToken_IsRefused()
    {
        using var browser = NewBrowser();
        using var content = new FormUrlEncodedContent([new("Email", OidcFixture.UserEmail), new("Password", OidcFixture.UserPassword)]);

        using var response = await browser.Http.PostAsync("/Account/SignIn", content, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task SessionCookie_IsHttpOnlyAndLax()
    {
        using var browser = NewBrowser();
        var url = browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope);
        using var page = await browser.FollowAsync(url);
        var html = await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        using var response = await browser.SubmitAsync(page.RequestMessage!.RequestUri!.PathAndQuery, html,
            new() { ["Email"] = OidcFixture.UserEmail, ["Password"] = OidcFixture.UserPassword });

        var setCookie = response.Headers.GetValues("Set-Cookie").Last(cookie => cookie.StartsWith("gh-session=") && !cookie.Contains("expires=Thu, 01 Jan 1970"));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
    }

    private static byte[] Base64UrlDecode(string value) => Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(value);
}
