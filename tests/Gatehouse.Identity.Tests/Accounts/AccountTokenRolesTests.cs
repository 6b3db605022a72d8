using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Tests.Accounts;

/// <summary>Account-API access tokens carry the user's roles, read again whenever a token is issued.</summary>
public sealed class AccountTokenRolesTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private const string Password = "lantern-meadow-cobalt-5531";
    private readonly AccountApi _api = new(fixture.App.CreateClient());

    [Fact]
    public async Task SignIn_OfAUserWithoutRoles_GivesATokenWithoutRoleClaims()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(fixture.App, email, Password);

        var pair = await _api.SignInAsync(email, Password);

        Assert.Empty(RolesIn(pair.AccessToken));
    }

    [Fact]
    public async Task SignIn_PutsTheUsersRolesInTheAccessToken()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);
        await GiveRolesAsync(user.Id, "editor", "reviewer");

        var pair = await _api.SignInAsync(email, Password);

        Assert.Equal(["editor", "reviewer"], RolesIn(pair.AccessToken));
    }

    [Fact]
    public async Task Refresh_ShowsRolesGivenAndTakenSinceTheSignIn()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);
        await GiveRolesAsync(user.Id, "editor");
        var first = await _api.SignInAsync(email, Password);
        Assert.Equal(["editor"], RolesIn(first.AccessToken));

        await GiveRolesAsync(user.Id, "billing");
        var second = await _api.RefreshAsync(first.RefreshToken);
        Assert.Equal(["billing", "editor"], RolesIn(second.AccessToken));

        await TakeRoleAsync(user.Id, "editor");
        await TakeRoleAsync(user.Id, "billing");
        var third = await _api.RefreshAsync(second.RefreshToken);
        Assert.Empty(RolesIn(third.AccessToken));
    }

    private static string[] RolesIn(string accessToken) =>
        [.. ProtocolClient.Read(accessToken).Claims.Where(claim => claim.Type == "role").Select(claim => claim.Value).Order(StringComparer.Ordinal)];

    private async Task GiveRolesAsync(Guid userId, params string[] roles)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var roleManager = scope.ServiceProvider.GetRequiredService<RoleManager<GatehouseRole>>();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
        foreach (var role in roles)
        {
            if (!await roleManager.RoleExistsAsync(role))
            {
                Assert.True((await roleManager.CreateAsync(new GatehouseRole(role))).Succeeded);
            }
        }

        var user = await users.FindByIdAsync(userId.ToString());
        var added = await users.AddToRolesAsync(user!, roles);
        Assert.True(added.Succeeded, string.Join("; ", added.Errors.Select(error => error.Description)));
    }

    private async Task TakeRoleAsync(Guid userId, string role)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
        var user = await users.FindByIdAsync(userId.ToString());
        Assert.True((await users.RemoveFromRoleAsync(user!, role)).Succeeded);
    }
}
