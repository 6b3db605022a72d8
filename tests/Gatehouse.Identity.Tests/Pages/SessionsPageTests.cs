using System.Net;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Gatehouse.Identity.Tests.Pages;

/// <summary>
/// The hosted "Where you are signed in" page, in a real headless Chromium: it lists the apps holding a
/// session for the user, ends one of them, and "sign out everywhere" ends every app session, every
/// browser session (this one and others) and every access token.
/// </summary>
public sealed class SessionsPageTests(BrowserSession session) : IClassFixture<BrowserSession>
{
    private const string Password = "copper lantern meadow 77";

    [Fact]
    public async Task ThePage_ListsTheAppSessions_AndSignsOneOut()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(session.App, email, Password);
        using var http = new HttpClient { BaseAddress = session.BaseAddress };
        var api = new AccountApi(http);
        var first = await api.SignInAsync(email, Password);
        var second = await api.SignInAsync(email, Password);
        await using var tab = await session.OpenAsync();
        var page = tab.Page;
        await AccountPagesTests.SignInAsync(page, email, Password);

        await page.GotoAsync("/Account");
        await page.GetByRole(AriaRole.Link, new() { Name = "Where you are signed in" }).ClickAsync();
        await page.Locator("#sessions").WaitForAsync();
        Assert.Equal(2, await page.Locator("#sessions > li").CountAsync());

        await page.Locator("#sessions > li").First.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.GetByRole(AriaRole.Status).WaitForAsync();
        Assert.Equal(1, await page.Locator("#sessions > li").CountAsync());

        var stillLive = 0;
        foreach (var pair in new[] { first, second })
        {
            using var refresh = await api.PostAsync("/auth/refresh-tokens", new { refresh_token = pair.RefreshToken });
            stillLive += refresh.IsSuccessStatusCode ? 1 : 0;
        }

        Assert.Equal(1, stillLive);
        var revoked = Assert.Single(await AccountApi.AuditAsync(session.App, user.Id, AuditEventTypes.SessionRevoked));
        Assert.Equal(user.Id, revoked.ActorUserId);
        Assert.Equal("gatehouse/pages", revoked.ClientId);
    }

    [Fact]
    public async Task SigningOutEverywhere_EndsAppSessionsAndEveryBrowser()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(session.App, email, Password);
        using var http = new HttpClient { BaseAddress = session.BaseAddress };
        var api = new AccountApi(http);
        var pair = await api.SignInAsync(email, Password);
        await using var other = await session.OpenAsync();
        await AccountPagesTests.SignInAsync(other.Page, email, Password);
        await using var tab = await session.OpenAsync();
        var page = tab.Page;
        await AccountPagesTests.SignInAsync(page, email, Password);

        await page.GotoAsync("/Account/Sessions");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out everywhere" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "You are signed out everywhere" }).WaitForAsync();

        using var refresh = await api.PostAsync("/auth/refresh-tokens", new { refresh_token = pair.RefreshToken });
        Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
        Assert.False(await http.IsActiveAsync(pair.AccessToken));
        await page.GotoAsync("/Account");
        Assert.Contains("/Account/SignIn", page.Url);
        await other.Page.GotoAsync("/Account");
        Assert.Contains("/Account/SignIn", other.Page.Url);
    }

    [Fact]
    public async Task Strangers_AreAskedToSignIn_AndPostsNeedTheAntiforgeryToken()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(session.App, email, Password);
        using var http = new HttpClient { BaseAddress = session.BaseAddress };
        var pair = await new AccountApi(http).SignInAsync(email, Password);
        await using var stranger = await session.OpenAsync();
        await stranger.Page.GotoAsync("/Account/Sessions");
        Assert.Contains("/Account/SignIn?returnUrl=", stranger.Page.Url);

        await using var tab = await session.OpenAsync();
        await AccountPagesTests.SignInAsync(tab.Page, email, Password);
        await tab.Page.GotoAsync("/Account/Sessions");
        var response = await tab.Context.APIRequest.PostAsync("/Account/Sessions?handler=EndAll", new()
        {
            Form = tab.Context.APIRequest.CreateFormData().Set("sessionId", "x"),
        });

        Assert.Equal(400, response.Status);
        Assert.True(await http.IsActiveAsync(pair.AccessToken));
    }
}
