using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>
/// A user's token (authorization code flow) carries an admin scope only when the user has the admin
/// role and the client's registration allows the scope.
/// </summary>
public sealed class AdminScopesOnUserTokensTests(AdminFixture fixture) : IClassFixture<AdminFixture>
{
    private const string Scope = "openid offline_access gatehouse:admin.keys";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Administrator_GetsTheAdminScope_AndTheAdminApiAcceptsTheToken()
    {
        var tokens = await SignInAsync(OidcFixture.UserEmail, OidcFixture.UserPassword);

        var accessToken = tokens.GetProperty("access_token").GetString()!;
        Assert.Contains("gatehouse:admin.keys", ScopesOf(accessToken));
        Assert.Equal(HttpStatusCode.OK, await CallKeysAsync(accessToken));
    }

    [Fact]
    public async Task UserWithoutTheAdminRole_DoesNotGetTheAdminScope_AndTheAdminApiRefusesTheToken()
    {
        var (email, password) = await fixture.App.CreateUserAsync("plain");

        var tokens = await SignInAsync(email, password);

        var accessToken = tokens.GetProperty("access_token").GetString()!;
        Assert.DoesNotContain("gatehouse:admin.keys", ScopesOf(accessToken));
        Assert.Equal(HttpStatusCode.Forbidden, await CallKeysAsync(accessToken));
    }

    [Fact]
    public async Task UserWhoLosesTheAdminRole_NoLongerGetsTheAdminScopeOnRefresh()
    {
        var (email, password) = await fixture.App.CreateUserAsync("demoted");
        await ChangeRoleAsync(email, add: true);
        var tokens = await SignInAsync(email, password);
        Assert.Contains("gatehouse:admin.keys", ScopesOf(tokens.GetProperty("access_token").GetString()!));

        await ChangeRoleAsync(email, add: false);
        using var browser = BrowserFlow.For(fixture.App);
        using var refreshed = await browser.RefreshAsync(tokens.GetProperty("refresh_token").GetString()!, AdminFixture.AdminWeb, AdminFixture.AdminWebSecret);
        var json = await refreshed.ReadJsonAsync();

        if (refreshed.IsSuccessStatusCode)
        {
            var accessToken = json.GetProperty("access_token").GetString()!;
            Assert.DoesNotContain("gatehouse:admin.keys", ScopesOf(accessToken));
            Assert.Equal(HttpStatusCode.Forbidden, await CallKeysAsync(accessToken));
        }
        else
        {
            Assert.Equal("invalid_grant", json.GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task ClientWhoseRegistrationLacksTheAdminScope_CannotAskForIt_EvenForAnAdministrator()
    {
        using var browser = BrowserFlow.For(fixture.App);
        using var response = await browser.FollowAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, "openid gatehouse:admin"));

        // Refused on the service's own error page or back at the client, never with a code.
        if (BrowserFlow.IsRedirect(response))
        {
            var callback = BrowserFlow.CallbackParameters(response);
            Assert.False(callback.ContainsKey("code"));
            Assert.Contains(callback["error"], new[] { "invalid_scope", "invalid_request" });
        }
        else
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
    }

    [Fact]
    public async Task AccountApiTokens_NeverCarryAdminScopes_EvenForAnAdministratorThroughAClientAllowedThem()
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = AdminApi.NewClientId("first-party-app");
        using var created = await admin.PostAsync("/admin/clients", new Dictionary<string, object?>
        {
            ["client_id"] = clientId,
            ["type"] = "confidential",
            ["first_party"] = true,
            ["allow_accounts_api"] = true,
            ["scopes"] = new[] { "images.read", "gatehouse:admin.keys" },
        });
        var secret = (await created.ReadJsonAsync()).GetProperty("client_secret").GetString()!;

        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/sign-in")
        {
            Content = JsonContent.Create(new { email = OidcFixture.UserEmail, password = OidcFixture.UserPassword }),
        };
        request.Headers.Add("X-Client-Id", clientId);
        request.Headers.Add("X-Client-Secret", secret);
        using var signedIn = await fixture.App.CreateClient().SendAsync(request, Cancel);
        var accessToken = (await signedIn.ReadJsonAsync()).GetProperty("access_token").GetString()!;

        Assert.Contains("images.read", ScopesOf(accessToken));
        Assert.DoesNotContain("gatehouse:admin.keys", ScopesOf(accessToken));
        Assert.Equal(HttpStatusCode.Forbidden, await CallKeysAsync(accessToken));
    }

    private async Task<System.Text.Json.JsonElement> SignInAsync(string email, string password)
    {
        using var browser = BrowserFlow.For(fixture.App);
        var (code, _) = await browser.GetCodeAsync(browser.AuthorizeUrl(AdminFixture.AdminWeb, AdminFixture.AdminWebRedirect, Scope),
            consent: false, email, password);
        using var response = await browser.RedeemAsync(code, AdminFixture.AdminWeb, AdminFixture.AdminWebRedirect, AdminFixture.AdminWebSecret);
        return await BrowserFlow.TokensAsync(response);
    }

    private static string[] ScopesOf(string accessToken) =>
        ProtocolClient.Read(accessToken).TryGetPayloadValue<string>("scope", out var scope) ? scope.Split(' ') : [];

    private async Task<HttpStatusCode> CallKeysAsync(string accessToken)
    {
        var http = fixture.App.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await http.GetAsync("/admin/keys", Cancel);
        return response.StatusCode;
    }

    private async Task ChangeRoleAsync(string email, bool add)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
        var user = (await users.FindByEmailAsync(email))!;
        var result = add ? await users.AddToRoleAsync(user, Roles.Admin) : await users.RemoveFromRoleAsync(user, Roles.Admin);
        Assert.True(result.Succeeded);
    }
}
