using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Gatehouse.Identity.Tests.Pages;

/// <summary>A node whose per-IP limit is three form posts a minute.</summary>
public sealed class TightPerIpLimitSession : BrowserSession
{
    protected override IReadOnlyDictionary<string, string?> Overrides { get; } = new Dictionary<string, string?>
    {
        ["Gatehouse:Accounts:RateLimits:PerIpPermits"] = "3",
        // Counters of its own in a shared Redis: other nodes' requests from loopback must not count here.
        ["Gatehouse:Accounts:RateLimits:RedisKeyPrefix"] = $"test:{Guid.NewGuid():N}:",
    };
}

/// <summary>A node whose per-account limit is two requests a minute.</summary>
public sealed class TightPerAccountLimitSession : BrowserSession
{
    protected override IReadOnlyDictionary<string, string?> Overrides { get; } = new Dictionary<string, string?>
    {
        ["Gatehouse:Accounts:RateLimits:PerAccountPermits"] = "2",
        ["Gatehouse:Accounts:RateLimits:RedisKeyPrefix"] = $"test:{Guid.NewGuid():N}:",
    };
}

/// <summary>The account API's rate limits hold on the hosted pages too.</summary>
public sealed class AccountPagePerIpLimitTests(TightPerIpLimitSession session) : IClassFixture<TightPerIpLimitSession>
{
    [Fact]
    public async Task FormPosts_BeyondThePerIpLimit_GetATooManyAttemptsPage_WhileShowingTheFormsIsFree()
    {
        await using var tab = await session.OpenAsync();
        var page = tab.Page;

        for (var attempt = 0; attempt < 3; attempt++)
        {
            await page.GotoAsync("/Account/ForgotPassword");
            await page.GetByLabel("Email address").FillAsync(AccountApi.NewEmail());
            var posted = await page.RunAndWaitForResponseAsync(
                () => page.GetByRole(AriaRole.Button, new() { Name = "Send a code" }).ClickAsync(),
                response => response.Request.Method == "POST");
            Assert.True(posted.Status is 302 or 303, $"form post {attempt + 1} of 3 answered {posted.Status}, not a redirect to the reset page");
            // The answer is what counts; waiting for the browser to finish following it only made the
            // test depend on page-load timing.
            Assert.Contains("/Account/ResetPassword?flow=", (await posted.AllHeadersAsync())["location"], StringComparison.Ordinal);
        }

        await page.GotoAsync("/Account/ForgotPassword");
        await page.GetByLabel("Email address").FillAsync(AccountApi.NewEmail());
        var refused = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Send a code" }).ClickAsync(),
            response => response.Request.Method == "POST");

        Assert.Equal(429, refused.Status);
        Assert.True(int.Parse((await refused.AllHeadersAsync())["retry-after"], System.Globalization.CultureInfo.InvariantCulture) >= 1);
        await page.GetByRole(AriaRole.Heading, new() { Name = "Too many attempts" }).WaitForAsync();
    }
}

public sealed class AccountPagePerAccountLimitTests(TightPerAccountLimitSession session) : IClassFixture<TightPerAccountLimitSession>
{
    [Fact]
    public async Task SignIn_BeyondThePerAccountLimit_IsRefusedInPlainWords_EvenFromAnotherBrowser()
    {
        var email = AccountApi.NewEmail();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            await using var tab = await session.OpenAsync();
            await SignInAsync(tab.Page, email, 200);
        }

        await using var other = await session.OpenAsync();
        await SignInAsync(other.Page, email, 429);
        await other.Page.GetByText("There were too many attempts").WaitForAsync();
    }

    private static async Task SignInAsync(IPage page, string email, int expectedStatus)
    {
        await page.GotoAsync("/Account/SignIn");
        await page.GetByLabel("Email address").FillAsync(email);
        await page.GetByLabel("Password").FillAsync("whatever it is");
        var answer = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(),
            response => response.Request.Method == "POST");
        Assert.Equal(expectedStatus, answer.Status);
    }
}
