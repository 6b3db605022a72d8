using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Accounts;

/// <summary>The Scalar API reference, opened in a real Chromium under the service's security headers.</summary>
public sealed class ApiReferenceBrowserTests(BrowserSession session) : IClassFixture<BrowserSession>
{
    [Fact]
    public async Task Scalar_RendersTheAccountOperations_WithoutPolicyViolations()
    {
        await using var tab = await session.OpenAsync();

        var response = await tab.Page.GotoAsync("/scalar");

        Assert.Equal(200, response!.Status);
        await tab.Page.GetByText("Sign in with email and password").First.WaitForAsync();
        Assert.DoesNotContain(tab.ConsoleErrors, error => error.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
    }
}
