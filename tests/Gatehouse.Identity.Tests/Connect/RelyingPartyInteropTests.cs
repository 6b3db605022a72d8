using System.Text.Json;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Playwright;

namespace Gatehouse.Identity.Tests.Connect;

/// <summary>
/// Independent relying parties against the service on a real port: npm's certified openid-client
/// (run by Node, pages filled by HTTP form posts), and ASP.NET Core's OpenIdConnect handler in a
/// small web app, signed in through the hosted page in headless Chromium.
/// </summary>
public sealed class RelyingPartyInteropTests(RelyingPartyFixture fixture) : IClassFixture<RelyingPartyFixture>
{
    [Fact]
    public async Task OpenIdClient_RunsDiscoveryCodePkceUserInfoRefreshRevocationAndLogout()
    {
        var (email, password) = await fixture.App.CreateUserAsync("node");
        var issuer = fixture.BaseAddress.ToString();

        var (exitCode, output, errors) = await OidcClientScript.RunAsync("flow.mjs", new()
        {
            ["GATEHOUSE_ISSUER"] = issuer,
            ["GATEHOUSE_CLIENT_ID"] = RelyingPartyFixture.NodeClient,
            ["GATEHOUSE_REDIRECT_URI"] = RelyingPartyFixture.NodeRedirect,
            ["GATEHOUSE_POST_LOGOUT_URI"] = RelyingPartyFixture.NodePostLogout,
            ["GATEHOUSE_EMAIL"] = email,
            ["GATEHOUSE_PASSWORD"] = password,
        });

        Assert.True(exitCode == 0, $"openid-client run failed ({exitCode}): {errors}\n{output}");
        var seen = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal(issuer, seen.GetProperty("issuer").GetString());
        Assert.True(seen.GetProperty("signedIn").GetBoolean());
        Assert.True(seen.GetProperty("consented").GetBoolean(), "a third-party client is shown the consent page");
        Assert.True(Guid.TryParse(seen.GetProperty("sub").GetString(), out _));
        Assert.Equal(["pwd"], seen.GetProperty("amr").EnumerateArray().Select(value => value.GetString()));
        Assert.True(seen.GetProperty("authTime").GetBoolean());
        Assert.True(seen.GetProperty("accessTokenIsOpaque").GetBoolean());
        Assert.Equal(email, seen.GetProperty("userinfoEmail").GetString());
        Assert.True(seen.GetProperty("refreshRotated").GetBoolean());
        Assert.True(seen.GetProperty("oldRefreshRefused").GetBoolean());
        Assert.True(seen.GetProperty("revokedAccessTokenRefused").GetBoolean());
        Assert.True(seen.GetProperty("loggedOutTo").GetString() == RelyingPartyFixture.NodePostLogout, output);
        Assert.True(seen.GetProperty("logoutStateEchoed").GetBoolean());
        Assert.Equal("login_required", seen.GetProperty("afterLogout").GetString());
    }

    [Fact]
    public async Task AspNetCoreOpenIdConnectHandler_SignsInThroughTheHostedPage_AndLogsOutWithABackChannelNotice()
    {
        var (email, password) = await fixture.App.CreateUserAsync("aspnet");
        await using var tab = await fixture.OpenAsync();
        var page = tab.Page;

        await page.GotoAsync(fixture.WebAppAddress.ToString());
        Assert.StartsWith(fixture.BaseAddress + "Account/SignIn", page.Url);
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        var home = await page.InnerTextAsync("body");
        Assert.True(page.Url == fixture.WebAppAddress.ToString(), $"ended at {page.Url}: {home}");

        Assert.Contains("email=" + email, home);
        Assert.Contains("amr=pwd", home);

        var shown = home.Trim().Split(';').Select(part => part.Split('=', 2)).ToDictionary(part => part[0], part => part[1]);
        await page.GotoAsync(fixture.WebAppAddress + "logout");
        await page.UntilUrlAsync(url => url.AbsoluteUri == new Uri(fixture.WebAppAddress + "signed-out").AbsoluteUri);

        // The notice is sent in the background, after the browser has been redirected.
        for (var waited = 0; fixture.LogoutTokens.IsEmpty && waited < 300; waited++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        var logoutToken = Assert.Single(fixture.LogoutTokens);
        var keys = new JsonWebKeySet(await fixture.App.CreateClient().GetStringAsync("/.well-known/jwks", TestContext.Current.CancellationToken));
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(logoutToken, new TokenValidationParameters
        {
            ValidIssuer = fixture.BaseAddress.ToString(),
            ValidAudience = OidcFixture.WebClient,
            IssuerSigningKeys = keys.GetSigningKeys(),
            ValidTypes = ["logout+jwt"],
        });
        Assert.True(validation.IsValid, validation.Exception?.Message);
        var token = (JsonWebToken)validation.SecurityToken;
        Assert.Equal(shown["sub"], token.Subject);
        Assert.Equal(shown["sid"], token.GetClaim("sid").Value);
        Assert.Contains("http://schemas.openid.net/event/backchannel-logout", token.GetClaim("events").Value);
        Assert.False(token.TryGetClaim("nonce", out _));

        await page.GotoAsync(fixture.WebAppAddress.ToString());
        Assert.StartsWith(fixture.BaseAddress + "Account/SignIn", page.Url);
    }
}
