using System.Net;
using System.Text.Json;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>The service on a real port with the admin service clients.</summary>
public sealed class AdminSocketFixture : BrowserSession
{
    protected override IReadOnlyDictionary<string, string?>? Overrides => AdminFixture.Settings();
}

/// <summary>
/// Clients registered through the admin API work with independent software: an SPA registered here
/// is driven through discovery, code + PKCE, token, UserInfo, refresh, revocation and logout by
/// openid-client (Node); a service client gets tokens until it is deleted.
/// </summary>
public sealed class AdminEndToEndTests(AdminSocketFixture fixture) : IClassFixture<AdminSocketFixture>
{
    [Fact]
    public async Task SpaRegisteredThroughTheAdminApi_RunsTheWholeCodeFlowWithOpenIdClient()
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = AdminApi.NewClientId("spa");
        var redirect = $"https://{clientId}.example/callback";
        var loggedOut = $"https://{clientId}.example/signed-out";
        using var created = await admin.PostAsync("/admin/clients", AdminApi.SpaClient(clientId, redirect, loggedOut));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var (email, password) = await fixture.App.CreateUserAsync("spa-user");

        var (exitCode, output, errors) = await OidcClientScript.RunAsync("flow.mjs", new()
        {
            ["GATEHOUSE_ISSUER"] = fixture.BaseAddress.ToString(),
            ["GATEHOUSE_CLIENT_ID"] = clientId,
            ["GATEHOUSE_REDIRECT_URI"] = redirect,
            ["GATEHOUSE_POST_LOGOUT_URI"] = loggedOut,
            ["GATEHOUSE_EMAIL"] = email,
            ["GATEHOUSE_PASSWORD"] = password,
        });

        Assert.True(exitCode == 0, $"openid-client run failed ({exitCode}): {errors}\n{output}");
        var seen = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        Assert.True(seen.GetProperty("signedIn").GetBoolean());
        Assert.True(seen.GetProperty("consented").GetBoolean(), "a client registered as third party asks for consent");
        Assert.True(seen.GetProperty("accessTokenIsOpaque").GetBoolean(), "registered with reference access tokens");
        Assert.Equal(email, seen.GetProperty("userinfoEmail").GetString());
        Assert.True(seen.GetProperty("refreshRotated").GetBoolean());
        Assert.True(seen.GetProperty("oldRefreshRefused").GetBoolean());
        Assert.True(seen.GetProperty("revokedAccessTokenRefused").GetBoolean());
        Assert.Equal(loggedOut, seen.GetProperty("loggedOutTo").GetString());
        Assert.True(seen.GetProperty("logoutStateEchoed").GetBoolean());
        Assert.Equal("login_required", seen.GetProperty("afterLogout").GetString());
    }

    [Fact]
    public async Task ServiceClientRegisteredThroughTheAdminApi_GetsTokens_UntilItIsDeleted()
    {
        var admin = AdminApi.Console(fixture.App);
        var (clientId, secret) = await admin.CreateServiceClientAsync("worker");
        var http = fixture.App.CreateClient();

        var token = ProtocolClient.Read(await http.GetAccessTokenAsync(clientId, secret, "images.read"));
        await http.GetAccessTokenAsync(clientId, secret, "images.read");
        Assert.Equal(clientId, token.Subject);
        Assert.Contains("images-api", token.Audiences);

        using var deleted = await admin.DeleteAsync($"/admin/clients/{clientId}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        using var refused = await http.RequestClientCredentialsAsync(clientId, secret, "images.read");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("invalid_client", (await refused.ReadJsonAsync()).GetProperty("error").GetString());
    }
}
