using System.Net;
using System.Text.Json;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>/admin/users/{id}/sessions: a user's account-API and code-flow sessions, ended one by one or all at once.</summary>
public sealed class SessionsApiTests(AdminFixture fixture) : IClassFixture<AdminFixture>
{
    private const string Password = "plum-orbit-canyon-4471";
    private readonly AdminApi _admin = new(fixture.App.CreateClient(), AdminFixture.UsersAdmin, AdminFixture.UsersAdminSecret);
    private readonly AccountApi _accounts = new(fixture.App.CreateClient());

    /// <summary>A user signed in twice: once through the account API, once through the code flow.</summary>
    private async Task<(Guid User, Pair Account, string OAuthRefresh, BrowserFlow Browser)> SignedInTwiceAsync()
    {
        var email = AccountApi.NewEmail();
        var user = await _admin.CreateUserAsync(email, Password);
        var account = await _accounts.SignInAsync(email, Password);
        var browser = BrowserFlow.For(fixture.App);
        using var signedIn = await browser.SignInThroughAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, "openid offline_access images.read"), email, Password);
        var tokens = await BrowserFlow.TokensAsync(await browser.RedeemAsync(BrowserFlow.CallbackParameters(signedIn)["code"], OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret));
        return (user, account, tokens.GetProperty("refresh_token").GetString()!, browser);
    }

    private async Task<List<JsonElement>> SessionsAsync(Guid user) =>
        [.. (await AdminApi.ExpectAsync(await _admin.GetAsync($"/admin/users/{user}/sessions"), HttpStatusCode.OK)).GetProperty("sessions").EnumerateArray()];

    private async Task<HttpStatusCode> OAuthRefreshAsync(BrowserFlow browser, string refreshToken)
    {
        using var response = await browser.RefreshAsync(refreshToken, OidcFixture.WebClient, OidcFixture.WebSecret);
        return response.StatusCode;
    }

    [Fact]
    public async Task ListSessions_ShowsTheAccountFamilyAndTheCodeFlowGrant_WithClientAndTimes()
    {
        var (user, _, _, browser) = await SignedInTwiceAsync();
        using var _ = browser;

        var sessions = await SessionsAsync(user);

        Assert.Equal(2, sessions.Count);
        var account = Assert.Single(sessions, s => s.GetProperty("kind").GetString() == "account");
        var oauth = Assert.Single(sessions, s => s.GetProperty("kind").GetString() == "oauth");
        Assert.Equal(GatehouseApp.WebAppClient, account.GetProperty("client_id").GetString());
        Assert.Equal(OidcFixture.WebClient, oauth.GetProperty("client_id").GetString());
        foreach (var session in sessions)
        {
            Assert.Equal(JsonValueKind.String, session.GetProperty("created_at").ValueKind);
            Assert.Equal(JsonValueKind.String, session.GetProperty("last_used_at").ValueKind);
            Assert.Equal(JsonValueKind.String, session.GetProperty("expires_at").ValueKind);
        }
    }

    [Fact]
    public async Task RevokeSession_EndsOnlyThatSession()
    {
        var (user, account, oauthRefresh, browser) = await SignedInTwiceAsync();
        using var _ = browser;
        var sessions = await SessionsAsync(user);
        var accountSession = sessions.Single(s => s.GetProperty("kind").GetString() == "account").GetProperty("id").GetString();
        var oauthSession = sessions.Single(s => s.GetProperty("kind").GetString() == "oauth").GetProperty("id").GetString();

        await AdminApi.ExpectAsync(await _admin.DeleteAsync($"/admin/users/{user}/sessions/{accountSession}"), HttpStatusCode.NoContent);

        using (var refused = await _accounts.PostAsync("/auth/refresh-tokens", new { refresh_token = account.RefreshToken }))
        {
            Assert.Equal("invalid_refresh_token", await AccountApi.ProblemCodeAsync(refused, HttpStatusCode.BadRequest));
        }

        var rotated = await BrowserFlow.TokensAsync(await browser.RefreshAsync(oauthRefresh, OidcFixture.WebClient, OidcFixture.WebSecret));
        await AdminApi.ExpectAsync(await _admin.DeleteAsync($"/admin/users/{user}/sessions/{oauthSession}"), HttpStatusCode.NoContent);
        Assert.Equal(HttpStatusCode.BadRequest, await OAuthRefreshAsync(browser, rotated.GetProperty("refresh_token").GetString()!));
        Assert.Empty(await SessionsAsync(user));
        Assert.Equal(2, (await AccountApi.AuditAsync(fixture.App, user, AuditEventTypes.SessionRevoked)).Count);
    }

    [Fact]
    public async Task RevokeSession_UnknownOrOfAnotherUser_IsNotFound()
    {
        var (user, _, _, browser) = await SignedInTwiceAsync();
        using var _ = browser;
        var other = await _admin.CreateUserAsync(AccountApi.NewEmail(), Password);
        var session = (await SessionsAsync(user))[0].GetProperty("id").GetString();

        using var unknown = await _admin.DeleteAsync($"/admin/users/{user}/sessions/{Guid.NewGuid()}");
        using var foreign = await _admin.DeleteAsync($"/admin/users/{other}/sessions/{session}");
        using var junk = await _admin.DeleteAsync($"/admin/users/{user}/sessions/{new string('x', 300)}");

        Assert.Equal("session_not_found", await AccountApi.ProblemCodeAsync(unknown, HttpStatusCode.NotFound));
        Assert.Equal("session_not_found", await AccountApi.ProblemCodeAsync(foreign, HttpStatusCode.NotFound));
        Assert.Equal(HttpStatusCode.NotFound, junk.StatusCode);
        Assert.Equal(2, (await SessionsAsync(user)).Count);
    }

    [Fact]
    public async Task RevokeAllSessions_EndsEveryOne_AndAnnouncesTheSubjectOnTheRevocationFeed()
    {
        var (user, account, oauthRefresh, browser) = await SignedInTwiceAsync();
        using var _ = browser;
        var feedReader = new AdminApi(fixture.App.CreateClient(), AdminFixture.Console, AdminFixture.ConsoleSecret, "gatehouse:revocations");
        var cursor = (await AdminApi.ExpectAsync(await feedReader.GetAsync("/feeds/revocations"), HttpStatusCode.OK)).GetProperty("cursor").GetString();

        await AdminApi.ExpectAsync(await _admin.DeleteAsync($"/admin/users/{user}/sessions"), HttpStatusCode.NoContent);

        using (var refused = await _accounts.PostAsync("/auth/refresh-tokens", new { refresh_token = account.RefreshToken }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        Assert.Equal(HttpStatusCode.BadRequest, await OAuthRefreshAsync(browser, oauthRefresh));
        Assert.False(await _accounts.Http.IsActiveAsync(account.AccessToken));
        Assert.Empty(await SessionsAsync(user));
        var feed = await AdminApi.ExpectAsync(await feedReader.GetAsync($"/feeds/revocations?wait=5&after={cursor}"), HttpStatusCode.OK);
        Assert.Contains(feed.GetProperty("events").EnumerateArray(),
            e => e.GetProperty("kind").GetString() == "subject" && e.GetProperty("sub").GetString() == user.ToString());
    }

    [Fact]
    public async Task Sessions_OfAnUnknownOrMalformedUser_Are404Or400()
    {
        using var unknown = await _admin.GetAsync($"/admin/users/{Guid.NewGuid()}/sessions");
        using var malformed = await _admin.DeleteAsync("/admin/users/12345/sessions");

        Assert.Equal("user_not_found", await AccountApi.ProblemCodeAsync(unknown, HttpStatusCode.NotFound));
        Assert.Equal("invalid_request", await AccountApi.ProblemCodeAsync(malformed, HttpStatusCode.BadRequest));
    }
}
