using System.Net;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Tests.Accounts;

public sealed class RefreshTokensTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private const string Password = "velvet-harbor-quartz-8120";
    private readonly AccountApi _api = new(fixture.App.CreateClient());

    private async Task<(Guid UserId, Pair Pair)> SignedInAsync()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);
        return (user.Id, await _api.SignInAsync(email, Password));
    }

    [Fact]
    public async Task Refresh_ReturnsANewPair_InTheSameSession()
    {
        var (_, first) = await SignedInAsync();

        var second = await _api.RefreshAsync(first.RefreshToken);

        Assert.NotEqual(first.RefreshToken, second.RefreshToken);
        Assert.Equal(ProtocolClient.Read(first.AccessToken).GetClaim("sid").Value, ProtocolClient.Read(second.AccessToken).GetClaim("sid").Value);
        Assert.True(await _api.Http.IsActiveAsync(second.AccessToken));
        var third = await _api.RefreshAsync(second.RefreshToken);
        Assert.NotEqual(second.RefreshToken, third.RefreshToken);
    }

    [Fact]
    public async Task Refresh_WithASpentToken_RevokesTheWholeFamily_AndIsAudited()
    {
        var (userId, first) = await SignedInAsync();
        var second = await _api.RefreshAsync(first.RefreshToken);

        using var reuse = await _api.PostAsync("/auth/refresh-tokens", new { refresh_token = first.RefreshToken });
        Assert.Equal("refresh_token_reused", await AccountApi.ProblemCodeAsync(reuse, HttpStatusCode.BadRequest));

        // The legitimate successor dies with its family.
        using var successor = await _api.PostAsync("/auth/refresh-tokens", new { refresh_token = second.RefreshToken });
        Assert.Equal("invalid_refresh_token", await AccountApi.ProblemCodeAsync(successor, HttpStatusCode.BadRequest));

        Assert.Single(await AccountApi.AuditAsync(fixture.App, userId, AuditEventTypes.RefreshReuse));
    }

    [Fact]
    public async Task Refresh_EightTimesInParallelWithOneToken_LeavesAtMostOneLiveSuccessor()
    {
        var (_, first) = await SignedInAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            _api.PostAsync("/auth/refresh-tokens", new { refresh_token = first.RefreshToken })));

        var successors = new List<string>();
        foreach (var response in responses)
        {
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, response.StatusCode.ToString());
            if (response.StatusCode == HttpStatusCode.OK)
            {
                successors.Add((await AccountApi.ReadPairAsync(response)).RefreshToken);
            }

            response.Dispose();
        }

        Assert.InRange(successors.Count, 0, 1);
        var live = 0;
        foreach (var successor in successors)
        {
            using var again = await _api.PostAsync("/auth/refresh-tokens", new { refresh_token = successor });
            live += again.StatusCode == HttpStatusCode.OK ? 1 : 0;
        }

        Assert.InRange(live, 0, 1);

        // In the database: of the tokens minted from the first one, at most one is unspent in a live family.
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        var family = ProtocolClient.Read(first.AccessToken).GetClaim("sid").Value;
        var liveTokens = await db.RefreshTokens
            .Where(t => t.FamilyId == Guid.Parse(family) && t.SpentAt == null)
            .Join(db.RefreshTokenFamilies.Where(f => f.RevokedAt == null), t => t.FamilyId, f => f.Id, (t, f) => t)
            .CountAsync(TestContext.Current.CancellationToken);
        Assert.InRange(liveTokens, 0, 1);
    }

    [Fact]
    public async Task Refresh_ByAnotherClient_IsRefused()
    {
        var (_, pair) = await SignedInAsync();
        var mobile = new AccountApi(_api.Http, GatehouseApp.MobileAppClient, secret: null);

        using var response = await mobile.PostAsync("/auth/refresh-tokens", new { refresh_token = pair.RefreshToken });

        Assert.Equal("invalid_refresh_token", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task RefreshTokens_AreStoredOnlyAsHashes()
    {
        var (_, pair) = await SignedInAsync();

        await using var scope = fixture.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(pair.RefreshToken));
        Assert.True(await db.RefreshTokens.AnyAsync(t => t.Hash == hash, TestContext.Current.CancellationToken));
        var raw = System.Text.Encoding.UTF8.GetBytes(pair.RefreshToken);
        Assert.False(await db.RefreshTokens.AnyAsync(t => t.Hash == raw, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Logout_RevokesTheFamily_AndIntrospectionReportsTheAccessTokenInactiveAtOnce()
    {
        var (_, pair) = await SignedInAsync();
        Assert.True(await _api.Http.IsActiveAsync(pair.AccessToken));

        using var logout = await _api.PostAsync("/auth/logout", bearer: pair.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.False(await _api.Http.IsActiveAsync(pair.AccessToken));
        using var refresh = await _api.PostAsync("/auth/refresh-tokens", new { refresh_token = pair.RefreshToken });
        Assert.Equal("invalid_refresh_token", await AccountApi.ProblemCodeAsync(refresh, HttpStatusCode.BadRequest));
        using var again = await _api.PostAsync("/auth/logout", bearer: pair.AccessToken);
        Assert.Equal("invalid_token", await AccountApi.ProblemCodeAsync(again, HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task Logout_WithoutOrWithAForeignToken_IsInvalidToken()
    {
        var serviceToken = await _api.Http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");

        using var none = await _api.PostAsync("/auth/logout");
        using var foreign = await _api.PostAsync("/auth/logout", bearer: serviceToken);
        using var garbage = await _api.PostAsync("/auth/logout", bearer: "not.a.token");

        Assert.Equal("invalid_token", await AccountApi.ProblemCodeAsync(none, HttpStatusCode.Unauthorized));
        Assert.Equal("invalid_token", await AccountApi.ProblemCodeAsync(foreign, HttpStatusCode.Unauthorized));
        Assert.Equal("invalid_token", await AccountApi.ProblemCodeAsync(garbage, HttpStatusCode.Unauthorized));
        Assert.True(await _api.Http.IsActiveAsync(serviceToken));
    }
}
