using System.Net;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using OpenIddict.Server;

namespace Gatehouse.Identity.Tests.Connect;

/// <summary>Codes, refresh-token rotation and family revocation, client binding, and the user's credentials.</summary>
public sealed class TokenLifecycleTests(OidcFixture fixture) : IClassFixture<OidcFixture>
{
    private const string Scope = "openid profile email offline_access images.read";

    private async Task<(BrowserFlow Browser, string Code)> SignedInCodeAsync()
    {
        var browser = BrowserFlow.For(fixture.App);
        var (code, _) = await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope), consent: false);
        return (browser, code);
    }

    private static async Task<System.Text.Json.JsonElement> RedeemAsync(BrowserFlow browser, string code)
    {
        using var response = await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret);
        return await BrowserFlow.TokensAsync(response);
    }

    [Fact]
    public void AuthorizationCodes_LiveSixtySecondsAtMost()
    {
        var options = fixture.App.Services.GetRequiredService<IOptionsMonitor<OpenIddictServerOptions>>().CurrentValue;

        Assert.True(options.AuthorizationCodeLifetime <= TimeSpan.FromSeconds(60));
        Assert.Equal(TimeSpan.Zero, options.RefreshTokenReuseLeeway);
    }

    [Fact]
    public async Task Code_RedeemedTwice_IsRefused_AndWhatTheFirstRedemptionIssuedIsRevoked()
    {
        var (browser, code) = await SignedInCodeAsync();
        using var _ = browser;
        var tokens = await RedeemAsync(browser, code);

        using var replay = await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret);
        using var refresh = await browser.RefreshAsync(tokens.GetProperty("refresh_token").GetString()!, OidcFixture.WebClient, OidcFixture.WebSecret);
        using var userInfo = new HttpRequestMessage(HttpMethod.Get, "/connect/userinfo");
        userInfo.Headers.Authorization = new("Bearer", tokens.GetProperty("access_token").GetString());
        using var userInfoAnswer = await browser.Http.SendAsync(userInfo, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal("invalid_grant", (await replay.ReadJsonAsync()).GetProperty("error").GetString());
        Assert.Equal("invalid_grant", (await refresh.ReadJsonAsync()).GetProperty("error").GetString());
        // The access token is a JWT that APIs check locally until it expires (minutes); the server itself refuses it at once.
        Assert.Equal(HttpStatusCode.Unauthorized, userInfoAnswer.StatusCode);
    }

    [Fact]
    public async Task Code_WithTheWrongVerifier_IsRefused()
    {
        var (browser, code) = await SignedInCodeAsync();
        using var _ = browser;

        using var response = await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret,
            verifier: BrowserFlow.Base64Url(new byte[32]));

        Assert.Equal("invalid_grant", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Code_WithAnotherRedirectUriThanTheRequest_IsRefused()
    {
        var (browser, code) = await SignedInCodeAsync();
        using var _ = browser;

        using var response = await browser.RedeemAsync(code, OidcFixture.WebClient, "https://web.example.com/other", OidcFixture.WebSecret);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Code_PresentedByAnotherClient_IsRefused()
    {
        var (browser, code) = await SignedInCodeAsync();
        using var _ = browser;

        using var response = await browser.RedeemAsync(code, OidcFixture.SpaClient, OidcFixture.WebRedirect);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task RefreshToken_Rotates_AndReusingAnOldOne_RevokesTheWholeFamily()
    {
        var (browser, code) = await SignedInCodeAsync();
        using var _ = browser;
        var first = (await RedeemAsync(browser, code)).GetProperty("refresh_token").GetString()!;

        using var rotated = await browser.RefreshAsync(first, OidcFixture.WebClient, OidcFixture.WebSecret);
        var second = (await BrowserFlow.TokensAsync(rotated)).GetProperty("refresh_token").GetString()!;
        using var reuse = await browser.RefreshAsync(first, OidcFixture.WebClient, OidcFixture.WebSecret);
        using var afterReuse = await browser.RefreshAsync(second, OidcFixture.WebClient, OidcFixture.WebSecret);

        Assert.NotEqual(first, second);
        Assert.Equal("invalid_grant", (await reuse.ReadJsonAsync()).GetProperty("error").GetString());
        Assert.Equal("invalid_grant", (await afterReuse.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task RefreshToken_PresentedByAnotherClient_IsRefused()
    {
        var (browser, code) = await SignedInCodeAsync();
        using var _ = browser;
        var refreshToken = (await RedeemAsync(browser, code)).GetProperty("refresh_token").GetString()!;

        using var response = await browser.RefreshAsync(refreshToken, OidcFixture.SpaClient);

        Assert.Equal("invalid_grant", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task PasswordChange_EndsTheRefreshTokenFamily_AndTheBrowserSession()
    {
        var (email, password) = await fixture.App.CreateUserAsync("grace");
        using var browser = BrowserFlow.For(fixture.App);
        var url = browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope);
        using var signedIn = await browser.SignInThroughAsync(url, email, password);
        var code = BrowserFlow.CallbackParameters(signedIn)["code"];
        var refreshToken = (await RedeemAsync(browser, code)).GetProperty("refresh_token").GetString()!;

        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
            var user = (await users.FindByEmailAsync(email))!;
            Assert.True((await users.ChangePasswordAsync(user, password, password + " changed")).Succeeded);
        }

        using var refresh = await browser.RefreshAsync(refreshToken, OidcFixture.WebClient, OidcFixture.WebSecret);
        using var promptNone = await browser.GetAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope, ("prompt", "none")));

        Assert.Equal("invalid_grant", (await refresh.ReadJsonAsync()).GetProperty("error").GetString());
        Assert.Equal("login_required", BrowserFlow.CallbackParameters(promptNone)["error"]);
    }

    [Fact]
    public async Task RefreshToken_PastTheFamilysAbsoluteLifetime_IsRefused()
    {
        var clock = new ShiftedTimeProvider();
        await using var app = fixture.App.WithTimeProvider(clock);
        using var browser = BrowserFlow.For(app);
        var (code, _) = await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope), consent: false);
        using var redeemed = await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret);
        var refreshToken = (await BrowserFlow.TokensAsync(redeemed)).GetProperty("refresh_token").GetString()!;

        clock.Offset = TimeSpan.FromDays(31); // the default absolute lifetime is 30 days
        using var response = await browser.RefreshAsync(refreshToken, OidcFixture.WebClient, OidcFixture.WebSecret);

        Assert.Equal("invalid_grant", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("password")]
    [InlineData("implicit")]
    public async Task PasswordAndImplicitGrants_AreRefusedForBrowserClients(string grant)
    {
        using var browser = BrowserFlow.For(fixture.App);

        using var response = await browser.Http.PostFormAsync("/connect/token",
            [new("grant_type", grant), new("username", OidcFixture.UserEmail), new("password", OidcFixture.UserPassword), new("scope", "openid")],
            ProtocolClient.Basic(OidcFixture.WebClient, OidcFixture.WebSecret));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("unsupported_grant_type", (await response.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task ServiceClient_CannotUseTheAuthorizationCodeGrant()
    {
        var (browser, code) = await SignedInCodeAsync();
        using var _ = browser;

        using var response = await browser.Http.PostFormAsync("/connect/token",
            [new("grant_type", "authorization_code"), new("code", code), new("redirect_uri", OidcFixture.WebRedirect), new("code_verifier", browser.Verifier)],
            ProtocolClient.Basic(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
