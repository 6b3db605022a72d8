using System.Net;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>
/// POST /admin/users/{id}/ban and /unban: a ban ends every session and token at once and refuses every
/// way in (JSON sign-in, refresh, hosted page, code flow) until it is lifted or runs out.
/// </summary>
public sealed class UsersBanTests(AdminFixture fixture) : IClassFixture<AdminFixture>
{
    private const string Password = "plum-orbit-canyon-4471";
    private const string CodeFlowScope = "openid offline_access images.read";
    private readonly AdminApi _admin = new(fixture.App.CreateClient(), AdminFixture.UsersAdmin, AdminFixture.UsersAdminSecret);
    private readonly AccountApi _accounts = new(fixture.App.CreateClient());

    [Fact]
    public async Task Ban_RefusesSignInRefreshAndTheAccountApiToken_AndIsAudited()
    {
        var email = AccountApi.NewEmail();
        var id = await _admin.CreateUserAsync(email, Password);
        var pair = await _accounts.SignInAsync(email, Password);

        var banned = await AdminApi.ExpectAsync(await _admin.PostAsync($"/admin/users/{id}/ban", new { reason = "fraud" }), HttpStatusCode.OK);

        Assert.Equal("banned", banned.GetProperty("status").GetString());
        Assert.Equal("fraud", banned.GetProperty("ban_reason").GetString());
        using (var signIn = await _accounts.PostAsync("/auth/sign-in", new { email, password = Password }))
        {
            Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(signIn, HttpStatusCode.Unauthorized));
        }

        using (var refresh = await _accounts.PostAsync("/auth/refresh-tokens", new { refresh_token = pair.RefreshToken }))
        {
            Assert.Equal("invalid_refresh_token", await AccountApi.ProblemCodeAsync(refresh, HttpStatusCode.BadRequest));
        }

        using (var logout = await _accounts.PostAsync("/auth/logout", bearer: pair.AccessToken))
        {
            Assert.Equal("invalid_token", await AccountApi.ProblemCodeAsync(logout, HttpStatusCode.Unauthorized));
        }

        Assert.False(await _accounts.Http.IsActiveAsync(pair.AccessToken));
        var audit = Assert.Single(await AccountApi.AuditAsync(fixture.App, id, AuditEventTypes.AccountBanned));
        Assert.Equal(AdminFixture.UsersAdmin, audit.ClientId);
    }

    [Fact]
    public async Task Ban_WhenAnotherRequestChangesTheUserAtTheSameMoment_Is409_AndBansNothing()
    {
        await using var racing = await RacingAdminNode.StartAsync(fixture.App, Password);
        var (node, race, admin, accounts, email, id) = racing;
        var pair = await accounts.SignInAsync(email, Password);

        race.ArmChangeElsewhere(node, id);
        using var ban = await admin.PostAsync($"/admin/users/{id}/ban", new { reason = "fraud" });

        Assert.Equal("concurrent_change", await AccountApi.ProblemCodeAsync(ban, HttpStatusCode.Conflict));
        Assert.True(race.Ran);
        var user = await AdminApi.ExpectAsync(await admin.SendAsync(HttpMethod.Get, $"/admin/users/{id}"), HttpStatusCode.OK);
        Assert.Equal("active", user.GetProperty("status").GetString());
        Assert.True(await accounts.Http.IsActiveAsync(pair.AccessToken));
        await accounts.SignInAsync(email, Password);
        Assert.Empty(await AccountApi.AuditAsync(node, id, AuditEventTypes.AccountBanned));

        // Tried again, the ban holds.
        await AdminApi.ExpectAsync(await admin.PostAsync($"/admin/users/{id}/ban", new { reason = "fraud" }), HttpStatusCode.OK);
        Assert.False(await accounts.Http.IsActiveAsync(pair.AccessToken));
    }

    [Fact]
    public async Task Unban_WhenAnotherRequestChangesTheUserAtTheSameMoment_Is409_AndTheBanStays()
    {
        await using var racing = await RacingAdminNode.StartAsync(fixture.App, Password);
        var (node, race, admin, accounts, email, id) = racing;
        await AdminApi.ExpectAsync(await admin.PostAsync($"/admin/users/{id}/ban", new { reason = "fraud" }), HttpStatusCode.OK);

        race.ArmChangeElsewhere(node, id);
        using var unban = await admin.PostAsync($"/admin/users/{id}/unban");

        Assert.Equal("concurrent_change", await AccountApi.ProblemCodeAsync(unban, HttpStatusCode.Conflict));
        Assert.True(race.Ran);
        var user = await AdminApi.ExpectAsync(await admin.SendAsync(HttpMethod.Get, $"/admin/users/{id}"), HttpStatusCode.OK);
        Assert.Equal("banned", user.GetProperty("status").GetString());
        using (var signIn = await accounts.PostAsync("/auth/sign-in", new { email, password = Password }))
        {
            Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(signIn, HttpStatusCode.Unauthorized));
        }

        await AdminApi.ExpectAsync(await admin.PostAsync($"/admin/users/{id}/unban"), HttpStatusCode.OK);
        await accounts.SignInAsync(email, Password);
    }

    [Fact]
    public async Task Ban_EndsTheCodeFlowGrant_AndTheHostedSignInPageRefusesTheUser()
    {
        var email = AccountApi.NewEmail();
        var id = await _admin.CreateUserAsync(email, Password);
        using var browser = BrowserFlow.For(fixture.App);
        var authorize = browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, CodeFlowScope);
        using var signedIn = await browser.SignInThroughAsync(authorize, email, Password);
        var code = BrowserFlow.CallbackParameters(signedIn)["code"];
        var tokens = await BrowserFlow.TokensAsync(await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret));
        var refreshToken = tokens.GetProperty("refresh_token").GetString()!;

        await AdminApi.ExpectAsync(await _admin.PostAsync($"/admin/users/{id}/ban", new { reason = "abuse" }), HttpStatusCode.OK);

        using (var refresh = await browser.RefreshAsync(refreshToken, OidcFixture.WebClient, OidcFixture.WebSecret))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
            Assert.Equal("invalid_grant", (await refresh.ReadJsonAsync()).GetProperty("error").GetString());
        }

        // The browser session ended with the ban (new security stamp): the page asks for the password again, and refuses it.
        using var again = await browser.FollowAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, CodeFlowScope));
        var html = await again.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("name=\"Password\"", html);
        using var refused = await browser.SubmitAsync(again.RequestMessage!.RequestUri!.PathAndQuery, html, new() { ["Email"] = email, ["Password"] = Password });
        Assert.False(BrowserFlow.IsRedirect(refused), "a banned user was let through the sign-in page");
        Assert.Contains(Gatehouse.Identity.Pages.Account.SignInModel.FailureMessage, System.Net.WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)));
    }

    [Fact]
    public async Task Unban_LetsTheUserSignInAgain_AndUnbanningAnActiveUserIsAConflict()
    {
        var email = AccountApi.NewEmail();
        var id = await _admin.CreateUserAsync(email, Password);
        await AdminApi.ExpectAsync(await _admin.PostAsync($"/admin/users/{id}/ban", new { reason = "mistake" }), HttpStatusCode.OK);

        var lifted = await AdminApi.ExpectAsync(await _admin.PostAsync($"/admin/users/{id}/unban"), HttpStatusCode.OK);
        using var twice = await _admin.PostAsync($"/admin/users/{id}/unban");

        Assert.Equal("active", lifted.GetProperty("status").GetString());
        Assert.Equal(JsonValueKindNull, lifted.GetProperty("ban_reason").ValueKind);
        Assert.Equal("user_not_banned", await AccountApi.ProblemCodeAsync(twice, HttpStatusCode.Conflict));
        await _accounts.SignInAsync(email, Password);
        Assert.Single(await AccountApi.AuditAsync(fixture.App, id, AuditEventTypes.AccountUnbanned));
    }

    [Fact]
    public async Task TimedBan_EndsByItself_AndTheUserSignsInAgain()
    {
        var email = AccountApi.NewEmail();
        var id = await _admin.CreateUserAsync(email, Password);
        var clock = new ShiftedTimeProvider();
        await using var later = fixture.App.WithTimeProvider(clock);
        var accounts = new AccountApi(later.CreateClient());
        var until = DateTimeOffset.UtcNow.AddHours(1);

        var banned = await AdminApi.ExpectAsync(await _admin.PostAsync($"/admin/users/{id}/ban", new { reason = "cool-off", until }), HttpStatusCode.OK);
        Assert.Equal(until.ToUnixTimeSeconds(), banned.GetProperty("banned_until").GetDateTimeOffset().ToUnixTimeSeconds());
        using (var refused = await accounts.PostAsync("/auth/sign-in", new { email, password = Password }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        clock.Offset = TimeSpan.FromHours(2);

        await accounts.SignInAsync(email, Password);
        var user = await AdminApi.ExpectAsync(await _admin.GetAsync($"/admin/users/{id}"), HttpStatusCode.OK);
        Assert.Equal("active", user.GetProperty("status").GetString());
        // The ban was lifted by the node that saw the sign-in, so that node's audit queue holds the event.
        Assert.Contains(await AccountApi.AuditAsync(later, id, AuditEventTypes.AccountUnbanned), e => e.Reason == "ban_expired");
    }

    [Theory]
    [InlineData("{}", "reason")]
    [InlineData("{\"reason\":\"\"}", "reason")]
    [InlineData("{\"reason\":42}", "reason")]
    [InlineData("{\"reason\":\"x\",\"until\":\"yesterday\"}", "until")]
    [InlineData("{\"reason\":\"x\",\"until\":\"2001-01-01T00:00:00Z\"}", "until")]
    [InlineData("{\"reason\":\"x\",\"forever\":true}", "forever")]
    public async Task Ban_WithABadBody_IsA400NamingTheField_AndBansNobody(string json, string field)
    {
        var email = AccountApi.NewEmail();
        var id = await _admin.CreateUserAsync(email, Password);

        using var response = await _admin.SendAsync(HttpMethod.Post, $"/admin/users/{id}/ban", rawJson: json);

        var problem = await AdminApi.ExpectNamedAsync(response, field);
        Assert.Equal("invalid_request", problem.GetProperty("code").GetString());
        await _accounts.SignInAsync(email, Password);
    }

    [Fact]
    public async Task Ban_OfAnUnknownUser_IsNotFound()
    {
        using var response = await _admin.PostAsync($"/admin/users/{Guid.NewGuid()}/ban", new { reason = "ghost" });

        Assert.Equal("user_not_found", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.NotFound));
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;
}
