using System.Net;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data.Accounts;
using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Gatehouse.Identity.Tests.Security;

/// <summary>
/// One test per default of ARCHITECTURE.md's "Security defaults that are not optional", each against
/// the running service. The kit's own defaults (alg allow-list, typ) are proven in the resource-server
/// tests: <c>Gatehouse.ResourceServer.Tests.Security.KitSecurityDefaultsTests</c>.
/// </summary>
public sealed class SecurityDefaultsTests(OidcFixture fixture) : IClassFixture<OidcFixture>
{
    private const string Scope = "openid offline_access images.read";

    private BrowserFlow NewBrowser() => BrowserFlow.For(fixture.App);

    [Fact]
    public async Task RedirectUris_MatchExactly()
    {
        using var browser = NewBrowser();
        foreach (var lookalike in new[] { OidcFixture.WebRedirect + "/", OidcFixture.WebRedirect.ToUpperInvariant(), OidcFixture.WebRedirect + "?next=1" })
        {
            using var refused = await browser.GetAsync(browser.AuthorizeUrl(OidcFixture.WebClient, lookalike, Scope));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Null(refused.Headers.Location);
        }

        var (_, callback) = await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope), consent: false);
        Assert.True(callback.ContainsKey("code"), "the registered URI itself works");
    }

    [Fact]
    public async Task Pkce_S256IsRequired()
    {
        using var browser = NewBrowser();
        await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope), consent: false);

        foreach (var (name, value) in new[] { ("code_challenge", (string?)null), ("code_challenge_method", "plain") })
        {
            using var refused = await browser.GetAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope, (name, value)));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Null(refused.Headers.Location);
        }

        using var discovery = await browser.GetAsync("/.well-known/openid-configuration");
        var methods = (await discovery.ReadJsonAsync()).GetProperty("code_challenge_methods_supported").EnumerateArray().Select(m => m.GetString());
        Assert.Equal(["S256"], methods);
    }

    [Fact]
    public async Task ImplicitAndPasswordGrants_AreNeverAvailable()
    {
        using var browser = NewBrowser();
        using var password = await browser.Http.PostFormAsync("/connect/token",
            [new("grant_type", "password"), new("username", OidcFixture.UserEmail), new("password", OidcFixture.UserPassword)],
            ProtocolClient.Basic(OidcFixture.WebClient, OidcFixture.WebSecret));
        Assert.Equal("unsupported_grant_type", (await password.ReadJsonAsync()).GetProperty("error").GetString());

        using var implicitFlow = await browser.GetAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope, ("response_type", "token")));
        Assert.Equal(HttpStatusCode.BadRequest, implicitFlow.StatusCode);
        Assert.Contains("unsupported_response_type", await implicitFlow.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        using var discovery = await browser.GetAsync("/.well-known/openid-configuration");
        var metadata = await discovery.ReadJsonAsync();
        Assert.DoesNotContain("password", metadata.GetProperty("grant_types_supported").EnumerateArray().Select(g => g.GetString()));
        Assert.DoesNotContain("implicit", metadata.GetProperty("grant_types_supported").EnumerateArray().Select(g => g.GetString()));
        Assert.All(metadata.GetProperty("response_types_supported").EnumerateArray(), type => Assert.Equal("code", type.GetString()));
    }

    [Fact]
    public async Task RefreshTokenReuse_RevokesTheWholeFamily()
    {
        using var browser = NewBrowser();
        var (code, _) = await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope), consent: false);
        using var redeemed = await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret);
        var first = (await BrowserFlow.TokensAsync(redeemed)).GetProperty("refresh_token").GetString()!;
        using var rotated = await browser.RefreshAsync(first, OidcFixture.WebClient, OidcFixture.WebSecret);
        var successor = (await BrowserFlow.TokensAsync(rotated)).GetProperty("refresh_token").GetString()!;

        using var reuse = await browser.RefreshAsync(first, OidcFixture.WebClient, OidcFixture.WebSecret);
        using var successorAfterReuse = await browser.RefreshAsync(successor, OidcFixture.WebClient, OidcFixture.WebSecret);

        Assert.Equal("invalid_grant", (await reuse.ReadJsonAsync()).GetProperty("error").GetString());
        Assert.Equal("invalid_grant", (await successorAfterReuse.ReadJsonAsync()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task AccessTokens_LiveMinutes_AndAbsurdLifetimesStopStartUp()
    {
        var token = new JsonWebToken(await fixture.App.CreateClient().GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read"));
        Assert.Equal(TimeSpan.FromMinutes(5), token.ValidTo - token.IssuedAt);

        foreach (var absurd in new[] { TimeSpan.FromDays(1), TimeSpan.FromSeconds(1) })
        {
            var problems = GatehouseOptionsValidator.Check(new GatehouseOptions { Tokens = new TokenOptions { AccessTokenLifetime = absurd } });
            Assert.Contains(problems, problem => problem.Contains("Gatehouse:Tokens:AccessTokenLifetime", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task SignUpSignInAndReset_AnswerAlikeForKnownAndUnknownEmails()
    {
        var api = new AccountApi(fixture.App.CreateClient());
        var known = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(fixture.App, known, "the right passphrase 1");
        var unknown = AccountApi.NewEmail();

        async Task<(HttpStatusCode Status, string[] Members)> AnswerAsync(string path, object body)
        {
            using var response = await api.PostAsync(path, body);
            var json = await response.ReadJsonAsync();
            return (response.StatusCode, [.. json.EnumerateObject().Where(p => p.Name is not ("traceId" or "flow_id" or "expires_at")).Select(p => p.Name + "=" + p.Value)]);
        }

        Assert.Equal(await AnswerAsync("/auth/sign-up", new { email = unknown, password = "a new passphrase 22" }),
            await AnswerAsync("/auth/sign-up", new { email = known, password = "a new passphrase 22" }), new AnswerComparer());
        Assert.Equal(await AnswerAsync("/auth/sign-in", new { email = AccountApi.NewEmail(), password = "the wrong passphrase" }),
            await AnswerAsync("/auth/sign-in", new { email = known, password = "the wrong passphrase" }), new AnswerComparer());
        Assert.Equal(await AnswerAsync("/auth/reset-password", new { email = AccountApi.NewEmail() }),
            await AnswerAsync("/auth/reset-password", new { email = known }), new AnswerComparer());
    }

    /// <summary>
    /// Every endpoint where a credential can be guessed, each on a node of its own with low limits:
    /// the account API's (per IP, besides per-account limits, lockout and code attempts, which their own
    /// tests prove) and the OAuth endpoints' client authentication (growing waits after failures).
    /// The hosted pages share the account API's per-IP partition (<c>HostedPageRateLimit</c>).
    /// </summary>
    [Theory]
    [InlineData("/auth/sign-in")]
    [InlineData("/auth/sign-up")]
    [InlineData("/auth/send-code")]
    [InlineData("/auth/confirm-email")]
    [InlineData("/auth/reset-password")]
    [InlineData("/auth/confirm-reset")]
    [InlineData("/connect/token")]
    [InlineData("/connect/introspect")]
    [InlineData("/connect/revoke")]
    public async Task CredentialGuessingEndpoints_AreRateLimited(string path)
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = new GatehouseApp(storage, new Dictionary<string, string?>
        {
            ["Gatehouse:Accounts:RateLimits:PerIpPermits"] = "5",
            ["Gatehouse:Accounts:RateLimits:RedisKeyPrefix"] = $"test:{Guid.NewGuid():N}:",
            ["Gatehouse:ClientAuthentication:FreeFailures"] = "3",
            ["Gatehouse:ClientAuthentication:PerIpFreeFailures"] = "5",
            ["Gatehouse:ClientAuthentication:RedisKeyPrefix"] = $"test:{Guid.NewGuid():N}:",
        });
        var api = new AccountApi(app.CreateClient());

        HttpStatusCode last = 0;
        for (var attempt = 0; attempt < 7 && last != HttpStatusCode.TooManyRequests; attempt++)
        {
            using var response = path.StartsWith("/auth/", StringComparison.Ordinal)
                ? await api.PostAsync(path, new { email = AccountApi.NewEmail(), password = "a guessed passphrase", flow_id = Guid.NewGuid().ToString("N"), code = "123456", new_password = "a new passphrase 33" })
                : await api.Http.PostFormAsync(path, [new("grant_type", "client_credentials"), new("token", "x")], ProtocolClient.Basic(GatehouseApp.ImagesApiClient, "guess-" + attempt));
            last = response.StatusCode;
            Assert.True(last is HttpStatusCode.TooManyRequests || (int)last is >= 200 and < 500, $"{path}: {(int)last}");
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, last);
    }

    [Fact]
    public async Task EveryCredentialUse_SucceededOrFailed_LeavesAnAuditEvent()
    {
        // Earlier tests of this class used the same client: count only what happens from here on.
        var since = DateTime.UtcNow;
        fixture.App.Services.GetRequiredService<CredentialUseCounter>().Flush();
        using var browser = NewBrowser();
        var (code, _) = await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, Scope), consent: false);
        using var redeemed = await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret);
        var refreshToken = (await BrowserFlow.TokensAsync(redeemed)).GetProperty("refresh_token").GetString()!;
        using var replayed = await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret);
        using var refreshed = await browser.RefreshAsync(refreshToken, OidcFixture.WebClient, OidcFixture.WebSecret);
        using var wrongSecret = await browser.RefreshAsync(refreshToken, OidcFixture.WebClient, "not-the-secret-of-web-app");

        var userId = Guid.Parse(new JsonWebToken((await BrowserFlow.TokensAsync(redeemed)).GetProperty("id_token").GetString()).Subject);
        var events = await AuditAsync(since);
        Assert.Contains(events, e => e.Type == AuditEventTypes.CodeRedeemed && e.UserId == userId && e.ClientId == OidcFixture.WebClient);
        Assert.Contains(events, e => e.Type == AuditEventTypes.CodeRedeemFailed && e.ClientId == OidcFixture.WebClient && e.Reason != null);
        // The replay revoked what the code had issued, so the refresh after it is refused, and recorded.
        Assert.Contains(events, e => e.Type == AuditEventTypes.RefreshFailed && e.ClientId == OidcFixture.WebClient);
        Assert.Contains(events, e => e.Type == AuditEventTypes.ClientAuthFailed && e.ClientId == OidcFixture.WebClient && e.Reason == "token:invalid_client");
        // Redeem, replay and refresh authenticated the client; the wrong secret did not.
        Assert.Equal(3, events.Where(e => e.Type == AuditEventTypes.ClientAuthSucceeded && e.ClientId == OidcFixture.WebClient).Sum(e => e.Count));
    }

    private async Task<List<AuditEvent>> AuditAsync(DateTime since)
    {
        fixture.App.Services.GetRequiredService<CredentialUseCounter>().Flush();
        var audit = fixture.App.Services.GetRequiredService<AuditLog>();
        await audit.FlushAsync(TestContext.Current.CancellationToken);
        return [.. await audit.QueryAsync(new AuditQuery(Since: since, Limit: 1000), TestContext.Current.CancellationToken)];
    }

    private sealed class AnswerComparer : IEqualityComparer<(HttpStatusCode Status, string[] Members)>
    {
        public bool Equals((HttpStatusCode Status, string[] Members) x, (HttpStatusCode Status, string[] Members) y) =>
            x.Status == y.Status && x.Members.SequenceEqual(y.Members);

        public int GetHashCode((HttpStatusCode Status, string[] Members) obj) => (int)obj.Status;
    }
}
