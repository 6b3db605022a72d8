using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Gatehouse.Identity.Tests.Pages;

/// <summary>The frame every hosted page shares, looked at in a real Chromium.</summary>
public sealed class HostedPageShellTests(BrowserSession session) : IClassFixture<BrowserSession>
{
    [Fact]
    public async Task HomePage_RendersWithItsStylesheet_AndNoConsoleErrors()
    {
        await using var tab = await session.OpenAsync();

        var response = await tab.Page.GotoAsync("/");

        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Equal("Welcome · Gatehouse", await tab.Page.TitleAsync());
        Assert.Equal("en", await tab.Page.GetAttributeAsync("html", "lang"));
        var cardBorder = await tab.Page.EvalOnSelectorAsync<string>("main.card", "e => getComputedStyle(e).borderTopStyle");
        Assert.Equal("solid", cardBorder);
        Assert.Empty(tab.ConsoleErrors);
    }

    [Fact]
    public async Task Pages_CarryHeadersThatForbidFramingAndForeignScripts()
    {
        await using var tab = await session.OpenAsync();

        var response = await tab.Page.GotoAsync("/");

        var headers = await response!.AllHeadersAsync();
        Assert.Equal("DENY", headers["x-frame-options"]);
        Assert.Equal("nosniff", headers["x-content-type-options"]);
        Assert.Equal("no-referrer", headers["referrer-policy"]);
        Assert.Contains("frame-ancestors 'none'", headers["content-security-policy"]);
        Assert.Contains("script-src 'self'", headers["content-security-policy"]);
    }

    [Fact]
    public async Task InlineScript_IsBlockedByTheContentSecurityPolicy()
    {
        await using var tab = await session.OpenAsync();
        await tab.Page.GotoAsync("/");

        // An injected inline script must not run: the policy allows only scripts served by the service.
        await tab.Page.EvaluateAsync(
            "() => { const s = document.createElement('script'); s.textContent = 'window.__injected = true'; document.body.appendChild(s); }");

        Assert.False(await tab.Page.EvaluateAsync<bool>("() => window.__injected === true"));
    }
}
