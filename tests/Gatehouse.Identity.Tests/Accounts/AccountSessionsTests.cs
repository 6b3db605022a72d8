using System.Net;
using System.Text.Json;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Accounts;

/// <summary>
/// A signed-in user sees their own sessions through the account API and ends them: one of them, the
/// current one, or all of them at once ("sign out everywhere"), which also stops every access token
/// issued so far. Nobody reaches another user's sessions this way.
/// </summary>
public sealed class AccountSessionsTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private const string Password = "quartz-willow-harbor-8817";
    private readonly AccountApi _api = new(fixture.App.CreateClient());

    [Fact]
    public async Task List_ShowsEverySessionOfTheUser_WithTheCurrentOneMarked()
    {
        var (_, first, second) = await UserWithTwoSessionsAsync();

        var sessions = await ListAsync(first.AccessToken);

        Assert.Equal(2, sessions.Count);
        var current = Assert.Single(sessions, session => session.GetProperty("current").GetBoolean());
        Assert.Equal(SessionIdOf(first.AccessToken), current.GetProperty("id").GetString());
        Assert.Contains(sessions, session => session.GetProperty("id").GetString() == SessionIdOf(second.AccessToken));
        Assert.All(sessions, session =>
        {
            Assert.Equal("account", session.GetProperty("kind").GetString());
            Assert.Equal(GatehouseApp.WebAppClient, session.GetProperty("client_id").GetString());
            Assert.Equal(JsonValueKind.String, session.GetProperty("created_at").ValueKind);
            Assert.Equal(JsonValueKind.String, session.GetProperty("expires_at").ValueKind);
        });
    }

    [Fact]
    public async Task EndingAnotherSession_EndsOnlyThatOne()
    {
        var (user, first, second) = await UserWithTwoSessionsAsync();

        using var ended = await _api.SendAsync(HttpMethod.Delete, "/auth/sessions/" + SessionIdOf(second.AccessToken), bearer: first.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
        using var refresh = await _api.PostAsync("/auth/refresh-tokens", new { refresh_token = second.RefreshToken });
        Assert.Equal("invalid_refresh_token", await AccountApi.ProblemCodeAsync(refresh, HttpStatusCode.BadRequest));
        Assert.False(await _api.Http.IsActiveAsync(second.AccessToken));
        Assert.Single(await ListAsync(first.AccessToken));
        Assert.True(await _api.Http.IsActiveAsync(first.AccessToken));
        var revoked = Assert.Single(await AccountApi.AuditAsync(fixture.App, user, AuditEventTypes.SessionRevoked));
        Assert.Equal(user, revoked.ActorUserId);
        Assert.Equal(GatehouseApp.WebAppClient, revoked.ClientId);
    }

    [Fact]
    public async Task EndingTheCurrentSession_AlsoStopsItsAccessToken()
    {
        var (_, first, second) = await UserWithTwoSessionsAsync();

        using var ended = await _api.SendAsync(HttpMethod.Delete, "/auth/sessions/" + SessionIdOf(first.AccessToken), bearer: first.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
        Assert.False(await _api.Http.IsActiveAsync(first.AccessToken));
        using var again = await _api.SendAsync(HttpMethod.Get, "/auth/sessions", bearer: first.AccessToken);
        Assert.Equal("invalid_token", await AccountApi.ProblemCodeAsync(again, HttpStatusCode.Unauthorized));
        Assert.Single(await ListAsync(second.AccessToken));
    }

    [Fact]
    public async Task SigningOutEverywhere_EndsEverySessionAndStopsEveryAccessToken()
    {
        var (user, first, second) = await UserWithTwoSessionsAsync();

        using var ended = await _api.SendAsync(HttpMethod.Delete, "/auth/sessions", bearer: second.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, ended.StatusCode);
        foreach (var pair in new[] { first, second })
        {
            Assert.False(await _api.Http.IsActiveAsync(pair.AccessToken));
            using var refresh = await _api.PostAsync("/auth/refresh-tokens", new { refresh_token = pair.RefreshToken });
            Assert.Equal("invalid_refresh_token", await AccountApi.ProblemCodeAsync(refresh, HttpStatusCode.BadRequest));
        }

        var revoked = Assert.Single(await AccountApi.AuditAsync(fixture.App, user, AuditEventTypes.SessionsRevoked));
        Assert.Equal(user, revoked.ActorUserId);
    }

    [Fact]
    public async Task AnotherUsersSession_IsNotFoundAndStaysLive()
    {
        var (_, mine, _) = await UserWithTwoSessionsAsync();
        var (_, theirs, _) = await UserWithTwoSessionsAsync();

        using var ended = await _api.SendAsync(HttpMethod.Delete, "/auth/sessions/" + SessionIdOf(theirs.AccessToken), bearer: mine.AccessToken);

        Assert.Equal("session_not_found", await AccountApi.ProblemCodeAsync(ended, HttpStatusCode.NotFound));
        Assert.True(await _api.Http.IsActiveAsync(theirs.AccessToken));
        Assert.Equal(2, (await ListAsync(theirs.AccessToken)).Count);
    }

    [Theory]
    [InlineData("not-a-session")]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    [InlineData("%E2%80%AE%F0%9F%92%A5")]
    public async Task UnknownOrMalformedSessionIds_AreNotFound(string sessionId)
    {
        var (_, pair, _) = await UserWithTwoSessionsAsync();

        using var ended = await _api.SendAsync(HttpMethod.Delete, "/auth/sessions/" + sessionId, bearer: pair.AccessToken);

        Assert.Equal("session_not_found", await AccountApi.ProblemCodeAsync(ended, HttpStatusCode.NotFound));
        Assert.Equal(2, (await ListAsync(pair.AccessToken)).Count);
    }

    [Fact]
    public async Task AnOverlongSessionId_IsNotFound()
    {
        var (_, pair, _) = await UserWithTwoSessionsAsync();

        using var ended = await _api.SendAsync(HttpMethod.Delete, "/auth/sessions/" + new string('a', 2000), bearer: pair.AccessToken);

        Assert.Equal("session_not_found", await AccountApi.ProblemCodeAsync(ended, HttpStatusCode.NotFound));
    }

    [Theory]
    [InlineData("GET", "/auth/sessions")]
    [InlineData("DELETE", "/auth/sessions")]
    [InlineData("DELETE", "/auth/sessions/00000000-0000-0000-0000-000000000000")]
    public async Task WithoutAValidAccessToken_TheCallIsRefused(string method, string path)
    {
        var (_, pair, _) = await UserWithTwoSessionsAsync();

        using var none = await _api.SendAsync(new HttpMethod(method), path);
        using var garbage = await _api.SendAsync(new HttpMethod(method), path, bearer: "not.a.token");
        using var otherClient = await new AccountApi(_api.Http, GatehouseApp.MobileAppClient, secret: null)
            .SendAsync(new HttpMethod(method), path, bearer: pair.AccessToken);

        Assert.Equal("invalid_token", await AccountApi.ProblemCodeAsync(none, HttpStatusCode.Unauthorized));
        Assert.Equal("invalid_token", await AccountApi.ProblemCodeAsync(garbage, HttpStatusCode.Unauthorized));
        Assert.Equal("invalid_token", await AccountApi.ProblemCodeAsync(otherClient, HttpStatusCode.Unauthorized));
        Assert.Equal(2, (await ListAsync(pair.AccessToken)).Count);
    }

    private async Task<(Guid User, Pair First, Pair Second)> UserWithTwoSessionsAsync()
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(fixture.App, email, Password);
        return (user.Id, await _api.SignInAsync(email, Password), await _api.SignInAsync(email, Password));
    }

    private async Task<List<JsonElement>> ListAsync(string accessToken)
    {
        using var response = await _api.SendAsync(HttpMethod.Get, "/auth/sessions", bearer: accessToken);
        var body = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"listing sessions answered {(int)response.StatusCode}: {body}");
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        return [.. body.GetProperty("sessions").EnumerateArray()];
    }

    private static string SessionIdOf(string accessToken) =>
        ProtocolClient.Read(accessToken).Claims.Single(claim => claim.Type == "sid").Value;
}
