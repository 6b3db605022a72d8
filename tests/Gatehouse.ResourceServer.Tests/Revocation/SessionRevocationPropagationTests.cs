using System.Net;
using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Infrastructure;
using Gatehouse.ResourceServer.Revocation;
using Gatehouse.ResourceServer.Tokens;
using Gatehouse.ResourceServer.Tests.Infrastructure;
using Gatehouse.ResourceServer.Tests.Tokens;

namespace Gatehouse.ResourceServer.Tests.Revocation;

/// <summary>
/// When the identity service ends one sign-in (a reused refresh token, a replayed code), services that
/// validate tokens locally refuse that sign-in's access tokens through the feed (<c>session_revoked</c>),
/// while the same user's other sign-ins keep working.
/// </summary>
public sealed class SessionRevocationPropagationTests : IAsyncLifetime
{
    private IdentityNode _identity = null!;
    private ResourceServerHost _http = null!;
    private ResourceServerHost _second = null!;

    private static bool RedisAvailable => TestStorage.UsesRealServers && TestStorage.RedisConnection is not null;

    public async ValueTask InitializeAsync()
    {
        _identity = await IdentityNode.StartAsync(OidcFixture.BrowserClients());
        _http = await _identity.StartServiceAsync();
        _second = await _identity.StartServiceAsync(redis: RedisAvailable);
    }

    private async Task AssertRefusedEverywhereAsync(string token, string what)
    {
        await Eventually.HoldsAsync(() => _http.AnswersAsync(token, HttpStatusCode.Unauthorized), what + " (HTTP feed)");
        await Eventually.HoldsAsync(() => _second.AnswersAsync(token, HttpStatusCode.Unauthorized), what + (RedisAvailable ? " (Redis)" : " (HTTP feed)"));
        await AccessTokenValidationTests.AssertRefusedAsync(await _http.GetAsync("/whoami", token), AccessTokenErrors.SessionRevoked.Code);
    }

    [Fact]
    public async Task RefreshTokenReuse_InTheAccountApi_GetsTheSessionsAccessTokensRefused()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(_identity.App, email, "a long enough passphrase");
        var api = new AccountApi(_identity.App.CreateClient());
        var stolen = await api.SignInAsync(email, "a long enough passphrase");
        var otherSession = await api.SignInAsync(email, "a long enough passphrase");
        Assert.True(await _http.AnswersAsync(stolen.AccessToken, HttpStatusCode.OK));

        var rotated = await api.RefreshAsync(stolen.RefreshToken);
        using var reuse = await api.PostAsync("/auth/refresh-tokens", new { refresh_token = stolen.RefreshToken });
        Assert.Equal("refresh_token_reused", await AccountApi.ProblemCodeAsync(reuse, HttpStatusCode.BadRequest));

        await AssertRefusedEverywhereAsync(stolen.AccessToken, "the reused family's first access token is refused");
        await AssertRefusedEverywhereAsync(rotated.AccessToken, "the reused family's rotated access token is refused");
        Assert.True(await _http.AnswersAsync(otherSession.AccessToken, HttpStatusCode.OK), "another sign-in of the same user is untouched");
        Assert.True(await _second.AnswersAsync(otherSession.AccessToken, HttpStatusCode.OK));
    }

    [Fact]
    public async Task ReplayedAuthorizationCode_GetsTheGrantsAccessTokensRefused()
    {
        using var browser = new BrowserFlow(_identity.Authority, new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });
        var (code, _) = await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, "openid offline_access images.read"));
        using var redeemed = await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret);
        var accessToken = (await BrowserFlow.TokensAsync(redeemed)).GetProperty("access_token").GetString()!;
        Assert.True(await _http.AnswersAsync(accessToken, HttpStatusCode.OK));
        Assert.True(await _second.AnswersAsync(accessToken, HttpStatusCode.OK));

        using var replay = await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret);
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);

        await AssertRefusedEverywhereAsync(accessToken, "the replayed code's access token is refused");
    }

    [Fact]
    public void SessionEvents_AreSkippedByKitsThatOnlyKnowVersionOne()
    {
        var session = new RevocationEvent { Version = RevocationEvent.SessionVersion, Kind = RevocationEventKinds.Session, SessionId = "s-1", ExpiresAt = 1 };
        var json = session.ToJson();

        Assert.Contains("\"v\":2", json);
        Assert.NotNull(RevocationEvent.TryParse(json));
        // A session event claiming version 1 is not well formed: a version-1 reader never sees one it would misread.
        Assert.Null(RevocationEvent.TryParse(json.Replace("\"v\":2", "\"v\":1")));
    }

    public async ValueTask DisposeAsync()
    {
        await _http.DisposeAsync();
        await _second.DisposeAsync();
        await _identity.DisposeAsync();
    }
}
