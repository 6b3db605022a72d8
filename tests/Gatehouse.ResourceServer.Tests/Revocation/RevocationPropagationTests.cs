using System.Net;
using Gatehouse.Identity.Revocation;
using Gatehouse.Identity.Tests.Infrastructure;
using Gatehouse.ResourceServer.Tests.Infrastructure;
using Gatehouse.ResourceServer.Tests.Tokens;

namespace Gatehouse.ResourceServer.Tests.Revocation;

/// <summary>
/// The identity service on a real socket and two services using the kit: a revocation made at the
/// identity service reaches both without any call per request. On the PostgreSQL + Redis pass one
/// service reads Redis and the other the HTTP feed; on the embedded pass both read the HTTP feed.
/// </summary>
public sealed class RevocationPropagationTests : IAsyncLifetime
{
    private IdentityNode _identity = null!;
    private ResourceServerHost _first = null!;
    private ResourceServerHost _second = null!;

    private static bool RedisAvailable => TestStorage.UsesRealServers && TestStorage.RedisConnection is not null;

    public async ValueTask InitializeAsync()
    {
        _identity = await IdentityNode.StartAsync();
        _first = await _identity.StartServiceAsync();
        _second = await _identity.StartServiceAsync(redis: RedisAvailable);
        await _first.FeedConnectedAsync();
        await _second.FeedConnectedAsync();
    }

    [Fact]
    public async Task RevokedToken_IsRefusedByBothServices()
    {
        var token = await _identity.TokenAsync();
        Assert.True(await _first.AnswersAsync(token, HttpStatusCode.OK));
        Assert.True(await _second.AnswersAsync(token, HttpStatusCode.OK));

        using var revoked = await _identity.App.CreateClient().PostFormAsync("/connect/revoke", [new("token", token)],
            ProtocolClient.Basic(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret));
        revoked.EnsureSuccessStatusCode();

        var first = await Eventually.HoldsAsync(() => _first.AnswersAsync(token, HttpStatusCode.Unauthorized), "first service refuses the revoked token");
        var second = await Eventually.HoldsAsync(() => _second.AnswersAsync(token, HttpStatusCode.Unauthorized), "second service refuses the revoked token");
        TestContext.Current.TestOutputHelper?.WriteLine($"revocation seen after {first.TotalMilliseconds:0} ms (HTTP feed) and {second.TotalMilliseconds:0} ms ({(RedisAvailable ? "Redis" : "HTTP feed")})");
        await AccessTokenValidationTests.AssertRefusedAsync(await _first.GetAsync("/whoami", token), "token_revoked");

        var other = await _identity.TokenAsync();
        Assert.True(await _first.AnswersAsync(other, HttpStatusCode.OK));
    }

    [Fact]
    public async Task SubjectRevocation_RefusesOlderTokens_AndAcceptsNewOnes()
    {
        var client = _identity.SubjectClient;
        var older = await _identity.TokenAsync(client, IdentityNode.SubjectSecret);
        Assert.True(await _first.AnswersAsync(older, HttpStatusCode.OK));
        Assert.True(await _second.AnswersAsync(older, HttpStatusCode.OK));

        // Cut-offs are whole seconds, as iat is: revoke from the next second on.
        await Task.Delay(1100, TestContext.Current.CancellationToken);
        var denylist = _identity.App.Services.GetRequiredService<IAccessTokenDenylist>();
        await denylist.RevokeSubjectAsync(client, DateTimeOffset.UtcNow, TestContext.Current.CancellationToken);

        await Eventually.HoldsAsync(() => _first.AnswersAsync(older, HttpStatusCode.Unauthorized), "first service refuses the subject's older token");
        await Eventually.HoldsAsync(() => _second.AnswersAsync(older, HttpStatusCode.Unauthorized), "second service refuses the subject's older token");
        await AccessTokenValidationTests.AssertRefusedAsync(await _second.GetAsync("/whoami", older), "subject_revoked");

        var newer = await _identity.TokenAsync(client, IdentityNode.SubjectSecret);
        Assert.True(await _first.AnswersAsync(newer, HttpStatusCode.OK));
        Assert.True(await _second.AnswersAsync(newer, HttpStatusCode.OK));
    }

    [Fact]
    public async Task ServiceStartedAfterARevocation_CatchesUpAndRefusesTheToken()
    {
        var token = await _identity.TokenAsync();
        using var revoked = await _identity.App.CreateClient().PostFormAsync("/connect/revoke", [new("token", token)],
            ProtocolClient.Basic(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret));
        revoked.EnsureSuccessStatusCode();

        await using var late = await _identity.StartServiceAsync(redis: RedisAvailable);

        await Eventually.HoldsAsync(() => late.AnswersAsync(token, HttpStatusCode.Unauthorized), "late service refuses the token revoked before it started");
        await AccessTokenValidationTests.AssertRefusedAsync(await late.GetAsync("/whoami", token), "token_revoked");
    }

    public async ValueTask DisposeAsync()
    {
        await _first.DisposeAsync();
        await _second.DisposeAsync();
        await _identity.DisposeAsync();
    }
}
