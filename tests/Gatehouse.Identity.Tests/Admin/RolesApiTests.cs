using System.Net;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>
/// /admin/roles and /admin/users/{id}/roles: roles, who holds them, and what a change does to tokens and
/// sessions. The built-in admin role exists because the fixture configures a first administrator.
/// </summary>
public sealed class RolesApiTests(AdminFixture fixture) : IClassFixture<AdminFixture>
{
    private const string Password = "plum-orbit-canyon-4471";
    private readonly AdminApi _admin = new(fixture.App.CreateClient(), AdminFixture.UsersAdmin, AdminFixture.UsersAdminSecret);
    private readonly AccountApi _accounts = new(fixture.App.CreateClient());

    private static string NewRole() => "role-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Grant_WhenAnotherRequestGrantsTheSameRoleAtTheSameMoment_Is409_AndTheRoleIsHeldOnce()
    {
        await using var racing = await RacingAdminNode.StartAsync(fixture.App, Password);
        var (node, race, admin, _, _, user) = racing;
        var role = NewRole();
        await AdminApi.ExpectAsync(await admin.PostAsync("/admin/roles", new { name = role }), HttpStatusCode.Created);

        race.Arm(granted => granted.Id == user, async () =>
        {
            await using var scope = node.Services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Gatehouse.Identity.Data.Users.GatehouseUser>>();
            var result = await users.AddToRoleAsync((await users.FindByIdAsync(user.ToString()))!, role);
            Assert.True(result.Succeeded);
        });
        using var grant = await admin.SendAsync(HttpMethod.Put, $"/admin/users/{user}/roles/{role}");

        Assert.Equal("concurrent_change", await AccountApi.ProblemCodeAsync(grant, HttpStatusCode.Conflict));
        Assert.True(race.Ran);
        await AdminApi.ExpectAsync(await admin.SendAsync(HttpMethod.Put, $"/admin/users/{user}/roles/{role}"), HttpStatusCode.NoContent);
        var holder = await AdminApi.ExpectAsync(await admin.GetAsync($"/admin/users/{user}"), HttpStatusCode.OK);
        Assert.Equal([role], holder.GetProperty("roles").EnumerateArray().Select(r => r.GetString()).Where(r => r == role));
    }

    [Fact]
    public async Task Remove_WhenAnotherRequestChangesTheUserAtTheSameMoment_Is409_AndTheRoleStays()
    {
        await using var racing = await RacingAdminNode.StartAsync(fixture.App, Password);
        var (node, race, admin, _, _, user) = racing;
        var role = NewRole();
        await AdminApi.ExpectAsync(await admin.PostAsync("/admin/roles", new { name = role }), HttpStatusCode.Created);
        await AdminApi.ExpectAsync(await admin.SendAsync(HttpMethod.Put, $"/admin/users/{user}/roles/{role}"), HttpStatusCode.NoContent);

        race.ArmChangeElsewhere(node, user);
        using var remove = await admin.DeleteAsync($"/admin/users/{user}/roles/{role}");

        Assert.Equal("concurrent_change", await AccountApi.ProblemCodeAsync(remove, HttpStatusCode.Conflict));
        Assert.True(race.Ran);
        var holder = await AdminApi.ExpectAsync(await admin.GetAsync($"/admin/users/{user}"), HttpStatusCode.OK);
        Assert.Contains(role, holder.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        await AdminApi.ExpectAsync(await admin.DeleteAsync($"/admin/users/{user}/roles/{role}"), HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task CreateRole_ListsIt_WithHolderCount_AndASecondCreateIsAConflict()
    {
        var role = NewRole();
        var user = await _admin.CreateUserAsync(AccountApi.NewEmail(), Password);

        var created = await AdminApi.ExpectAsync(await _admin.PostAsync("/admin/roles", new { name = role }), HttpStatusCode.Created);
        await AdminApi.ExpectAsync(await _admin.SendAsync(HttpMethod.Put, $"/admin/users/{user}/roles/{role}"), HttpStatusCode.NoContent);
        await AdminApi.ExpectAsync(await _admin.SendAsync(HttpMethod.Put, $"/admin/users/{user}/roles/{role}"), HttpStatusCode.NoContent);
        var list = await AdminApi.ExpectAsync(await _admin.GetAsync("/admin/roles"), HttpStatusCode.OK);
        using var again = await _admin.PostAsync("/admin/roles", new { name = role });

        Assert.Equal(role, created.GetProperty("name").GetString());
        var listed = Assert.Single(list.GetProperty("roles").EnumerateArray(), r => r.GetProperty("name").GetString() == role);
        Assert.Equal(1, listed.GetProperty("users").GetInt32());
        Assert.Equal("role_exists", await AccountApi.ProblemCodeAsync(again, HttpStatusCode.Conflict));
        Assert.Single(await AccountApi.AuditAsync(fixture.App, user, AuditEventTypes.RoleGranted));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"name\":\"\"}")]
    [InlineData("{\"name\":\"two words\"}")]
    [InlineData("{\"name\":\"-leading-dash\"}")]
    [InlineData("{\"name\":7}")]
    [InlineData("{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}")]
    public async Task CreateRole_WithABadName_IsA400NamingTheField(string json)
    {
        using var response = await _admin.SendAsync(HttpMethod.Post, "/admin/roles", rawJson: json);

        await AdminApi.ExpectNamedAsync(response, "name");
    }

    [Fact]
    public async Task DeleteRole_TakesItFromItsHolders_UnknownIs404_AndAdminIsProtected()
    {
        var role = NewRole();
        var user = await _admin.CreateUserAsync(AccountApi.NewEmail(), Password);
        await AdminApi.ExpectAsync(await _admin.PostAsync("/admin/roles", new { name = role }), HttpStatusCode.Created);
        await AdminApi.ExpectAsync(await _admin.SendAsync(HttpMethod.Put, $"/admin/users/{user}/roles/{role}"), HttpStatusCode.NoContent);

        await AdminApi.ExpectAsync(await _admin.DeleteAsync($"/admin/roles/{role}"), HttpStatusCode.NoContent);
        using var unknown = await _admin.DeleteAsync($"/admin/roles/{role}");
        using var admin = await _admin.DeleteAsync("/admin/roles/admin");

        Assert.Equal("role_not_found", await AccountApi.ProblemCodeAsync(unknown, HttpStatusCode.NotFound));
        Assert.Equal("role_protected", await AccountApi.ProblemCodeAsync(admin, HttpStatusCode.Conflict));
        var holder = await AdminApi.ExpectAsync(await _admin.GetAsync($"/admin/users/{user}"), HttpStatusCode.OK);
        Assert.Empty(holder.GetProperty("roles").EnumerateArray());
    }

    [Fact]
    public async Task UserRole_ForAnUnknownRoleOrUser_IsNotFound()
    {
        var user = await _admin.CreateUserAsync(AccountApi.NewEmail(), Password);
        var role = NewRole();
        await AdminApi.ExpectAsync(await _admin.PostAsync("/admin/roles", new { name = role }), HttpStatusCode.Created);

        using var noRole = await _admin.SendAsync(HttpMethod.Put, $"/admin/users/{user}/roles/{NewRole()}");
        using var noUser = await _admin.SendAsync(HttpMethod.Put, $"/admin/users/{Guid.NewGuid()}/roles/{role}");
        using var badRole = await _admin.DeleteAsync($"/admin/users/{user}/roles/not%20a%20role");

        Assert.Equal("role_not_found", await AccountApi.ProblemCodeAsync(noRole, HttpStatusCode.NotFound));
        Assert.Equal("user_not_found", await AccountApi.ProblemCodeAsync(noUser, HttpStatusCode.NotFound));
        Assert.Equal("role_not_found", await AccountApi.ProblemCodeAsync(badRole, HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task RoleChange_ShowsInTheNextCodeFlowAccessToken_WithoutEndingTheSession()
    {
        var email = AccountApi.NewEmail();
        var user = await _admin.CreateUserAsync(email, Password);
        var role = NewRole();
        await AdminApi.ExpectAsync(await _admin.PostAsync("/admin/roles", new { name = role }), HttpStatusCode.Created);
        using var browser = BrowserFlow.For(fixture.App);
        using var signedIn = await browser.SignInThroughAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, "openid offline_access images.read"), email, Password);
        var tokens = await BrowserFlow.TokensAsync(await browser.RedeemAsync(BrowserFlow.CallbackParameters(signedIn)["code"], OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret));
        Assert.DoesNotContain(ProtocolClient.Read(tokens.GetProperty("access_token").GetString()!).Claims, c => c.Type == "role");

        await AdminApi.ExpectAsync(await _admin.SendAsync(HttpMethod.Put, $"/admin/users/{user}/roles/{role}"), HttpStatusCode.NoContent);
        var granted = await BrowserFlow.TokensAsync(await browser.RefreshAsync(tokens.GetProperty("refresh_token").GetString()!, OidcFixture.WebClient, OidcFixture.WebSecret));
        await AdminApi.ExpectAsync(await _admin.DeleteAsync($"/admin/users/{user}/roles/{role}"), HttpStatusCode.NoContent);
        var removed = await BrowserFlow.TokensAsync(await browser.RefreshAsync(granted.GetProperty("refresh_token").GetString()!, OidcFixture.WebClient, OidcFixture.WebSecret));

        Assert.Contains(ProtocolClient.Read(granted.GetProperty("access_token").GetString()!).Claims, c => c.Type == "role" && c.Value == role);
        Assert.DoesNotContain(ProtocolClient.Read(removed.GetProperty("access_token").GetString()!).Claims, c => c.Type == "role");
    }

    [Fact]
    public async Task RemovingAdmin_EndsEverySessionOfTheUser_WhileOtherRolesEndNone()
    {
        var email = AccountApi.NewEmail();
        var user = await _admin.CreateUserAsync(email, Password);
        var role = NewRole();
        await AdminApi.ExpectAsync(await _admin.PostAsync("/admin/roles", new { name = role }), HttpStatusCode.Created);
        await AdminApi.ExpectAsync(await _admin.SendAsync(HttpMethod.Put, $"/admin/users/{user}/roles/admin"), HttpStatusCode.NoContent);
        await AdminApi.ExpectAsync(await _admin.SendAsync(HttpMethod.Put, $"/admin/users/{user}/roles/{role}"), HttpStatusCode.NoContent);
        var pair = await _accounts.SignInAsync(email, Password);

        await AdminApi.ExpectAsync(await _admin.DeleteAsync($"/admin/users/{user}/roles/{role}"), HttpStatusCode.NoContent);
        var still = await _accounts.RefreshAsync(pair.RefreshToken);
        await AdminApi.ExpectAsync(await _admin.DeleteAsync($"/admin/users/{user}/roles/admin"), HttpStatusCode.NoContent);

        using var refresh = await _accounts.PostAsync("/auth/refresh-tokens", new { refresh_token = still.RefreshToken });
        Assert.Equal("invalid_refresh_token", await AccountApi.ProblemCodeAsync(refresh, HttpStatusCode.BadRequest));
        Assert.Contains(await AccountApi.AuditAsync(fixture.App, user, AuditEventTypes.SessionsRevoked), e => e.Reason == "admin_role_removed");
    }
}
