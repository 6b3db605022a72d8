using System.Net;
using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Tests.Accounts;

public sealed class UpdatePasswordTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private const string Password = "lantern-meadow-cobalt-5531";
    private const string NewPassword = "granite-willow-ember-9902";
    private readonly AccountApi _api = new(fixture.App.CreateClient());

    [Fact]
    public async Task UpdatePassword_EndsEverySession_BumpsTheCredentialVersion_AndReturnsAFreshPair()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);
        var here = await _api.SignInAsync(email, Password);
        var elsewhere = await _api.SignInAsync(email, Password);

        using var response = await _api.SendAsync(HttpMethod.Patch, "/auth/update-password",
            new { current_password = Password, new_password = NewPassword }, here.AccessToken);
        var fresh = await AccountApi.ReadPairAsync(response);

        Assert.False(await _api.Http.IsActiveAsync(here.AccessToken));
        Assert.True(await _api.Http.IsActiveAsync(fresh.AccessToken));
        foreach (var old in new[] { here.RefreshToken, elsewhere.RefreshToken })
        {
            using var refresh = await _api.PostAsync("/auth/refresh-tokens", new { refresh_token = old });
            Assert.Equal("invalid_refresh_token", await AccountApi.ProblemCodeAsync(refresh, HttpStatusCode.BadRequest));
        }

        await _api.RefreshAsync(fresh.RefreshToken);
        using var oldPassword = await _api.PostAsync("/auth/sign-in", new { email, password = Password });
        Assert.Equal(HttpStatusCode.Unauthorized, oldPassword.StatusCode);
        await _api.SignInAsync(email, NewPassword);
        await TestMailbox.Shared.WaitForMessageAsync(email, "password was changed");

        await using var scope = fixture.App.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>().FindByIdAsync(user.Id.ToString());
        Assert.Equal(user.CredentialVersion + 1, stored!.CredentialVersion);
    }

    [Fact]
    public async Task UpdatePassword_WhenAnotherRequestChangesTheUserAtTheSameMoment_Is409_AndChangesNothing()
    {
        var race = new WhileUserIsWritten();
        await using var node = WhileUserIsWritten.Node(fixture.App, race);
        var (api, user, pair) = await WhileUserIsWritten.SignedInUserAsync(node, Password);

        race.ArmChangeElsewhere(node, user.Id);
        using var response = await api.SendAsync(HttpMethod.Patch, "/auth/update-password",
            new { current_password = Password, new_password = NewPassword }, pair.AccessToken);

        Assert.Equal("concurrent_change", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.Conflict));
        Assert.True(race.Ran);
        Assert.True(await api.Http.IsActiveAsync(pair.AccessToken));
        using var newPassword = await api.PostAsync("/auth/sign-in", new { email = user.Email, password = NewPassword });
        Assert.Equal(HttpStatusCode.Unauthorized, newPassword.StatusCode);
        await api.SignInAsync(user.Email!, Password);

        // Nothing is in the way of trying again.
        using var again = await api.SendAsync(HttpMethod.Patch, "/auth/update-password",
            new { current_password = Password, new_password = NewPassword }, pair.AccessToken);
        await AccountApi.ReadPairAsync(again);
        await api.SignInAsync(user.Email!, NewPassword);
    }

    [Fact]
    public async Task UpdatePassword_AlsoRevokesTheUsersOAuthTokensAndAuthorizations()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);
        var pair = await _api.SignInAsync(email, Password);
        var ct = TestContext.Current.CancellationToken;
        object token, authorization;
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var authorizations = scope.ServiceProvider.GetRequiredService<OpenIddict.Abstractions.IOpenIddictAuthorizationManager>();
            var tokens = scope.ServiceProvider.GetRequiredService<OpenIddict.Abstractions.IOpenIddictTokenManager>();
            authorization = await authorizations.CreateAsync(new OpenIddict.Abstractions.OpenIddictAuthorizationDescriptor
            {
                Subject = user.Id.ToString(), Status = "valid", Type = "permanent", CreationDate = DateTimeOffset.UtcNow,
            }, ct);
            token = await tokens.CreateAsync(new OpenIddict.Abstractions.OpenIddictTokenDescriptor
            {
                Subject = user.Id.ToString(), Status = "valid", Type = "refresh_token",
                AuthorizationId = await authorizations.GetIdAsync(authorization, ct),
                CreationDate = DateTimeOffset.UtcNow, ExpirationDate = DateTimeOffset.UtcNow.AddDays(1),
            }, ct);
        }

        using var response = await _api.SendAsync(HttpMethod.Patch, "/auth/update-password",
            new { current_password = Password, new_password = NewPassword }, pair.AccessToken);
        await AccountApi.ReadPairAsync(response);

        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            var authorizations = scope.ServiceProvider.GetRequiredService<OpenIddict.Abstractions.IOpenIddictAuthorizationManager>();
            var tokens = scope.ServiceProvider.GetRequiredService<OpenIddict.Abstractions.IOpenIddictTokenManager>();
            var storedToken = await tokens.FindByIdAsync((await tokens.GetIdAsync(token, ct))!, ct);
            Assert.Equal("revoked", await tokens.GetStatusAsync(storedToken!, ct));
            var storedAuthorization = await authorizations.FindByIdAsync((await authorizations.GetIdAsync(authorization, ct))!, ct);
            Assert.Equal("revoked", await authorizations.GetStatusAsync(storedAuthorization!, ct));
        }
    }

    [Fact]
    public async Task UpdatePassword_WithAWrongCurrentPassword_IsRefused_AndCountsTowardsLockout()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);
        var pair = await _api.SignInAsync(email, Password);

        using var response = await _api.SendAsync(HttpMethod.Patch, "/auth/update-password",
            new { current_password = "not-my-password-1", new_password = NewPassword }, pair.AccessToken);

        Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.Unauthorized));
        Assert.True(await _api.Http.IsActiveAsync(pair.AccessToken));
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        Assert.Equal(1, await db.Users.Where(u => u.Id == user.Id).Select(u => u.AccessFailedCount).SingleAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task UpdatePassword_WithoutAUserToken_IsInvalidToken()
    {
        using var response = await _api.SendAsync(HttpMethod.Patch, "/auth/update-password", new { current_password = Password, new_password = NewPassword });

        Assert.Equal("invalid_token", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task DeleteAccount_RemovesProfileCredentialsAndSessions_AndTheAuditKeepsOnlyTheId()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);
        var pair = await _api.SignInAsync(email, Password);

        using var wrong = await _api.PostAsync("/auth/delete-account", new { password = "not-my-password-1" }, pair.AccessToken);
        Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(wrong, HttpStatusCode.Unauthorized));

        using var deleted = await _api.PostAsync("/auth/delete-account", new { password = Password }, pair.AccessToken);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        Assert.False(await _api.Http.IsActiveAsync(pair.AccessToken));
        using var refresh = await _api.PostAsync("/auth/refresh-tokens", new { refresh_token = pair.RefreshToken });
        Assert.Equal("invalid_refresh_token", await AccountApi.ProblemCodeAsync(refresh, HttpStatusCode.BadRequest));
        using var signIn = await _api.PostAsync("/auth/sign-in", new { email, password = Password });
        Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(signIn, HttpStatusCode.Unauthorized));

        await using var scope = fixture.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        var ct = TestContext.Current.CancellationToken;
        Assert.False(await db.Users.AnyAsync(u => u.Id == user.Id, ct));
        Assert.False(await db.Database.SqlQuery<int>($"SELECT 1 AS \"Value\" FROM user_credentials WHERE \"UserId\" = {user.Id}").AnyAsync(ct));
        Assert.False(await db.RefreshTokenFamilies.AnyAsync(f => f.UserId == user.Id, ct));

        var events = await AccountApi.AuditAsync(fixture.App, user.Id);
        Assert.Contains(events, e => e.Type == AuditEventTypes.AccountDeleted);
        await TestMailbox.Shared.WaitForMessageAsync(email, "account was deleted");
        Assert.All(events, e => Assert.DoesNotContain(email, $"{e.Type} {e.Reason} {e.ClientId} {e.IpAddress}", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Ban_EndsEverySession_AndSignInIsRefused()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);
        var pair = await _api.SignInAsync(email, Password);

        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            Assert.True(await scope.ServiceProvider.GetRequiredService<SessionRevocation>().BanAsync(user.Id, new BanDetails(null, null, null, null, null), TestContext.Current.CancellationToken));
        }

        Assert.False(await _api.Http.IsActiveAsync(pair.AccessToken));
        using var refresh = await _api.PostAsync("/auth/refresh-tokens", new { refresh_token = pair.RefreshToken });
        Assert.Equal("invalid_refresh_token", await AccountApi.ProblemCodeAsync(refresh, HttpStatusCode.BadRequest));
        using var signIn = await _api.PostAsync("/auth/sign-in", new { email, password = Password });
        Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(signIn, HttpStatusCode.Unauthorized));
    }
}
