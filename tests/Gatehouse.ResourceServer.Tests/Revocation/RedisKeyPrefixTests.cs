using System.Net;
using Gatehouse.Identity.Tests.Infrastructure;
using Gatehouse.ResourceServer.Revocation;
using Gatehouse.ResourceServer.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.ResourceServer.Tests.Revocation;

/// <summary>
/// A service reading revocations from Redis follows the deployment whose key prefix it is given
/// (<c>Revocation:RedisKeyPrefix</c>, equal to the identity service's <c>Gatehouse:Redis:KeyPrefix</c>),
/// and nothing of another deployment on the same Redis.
/// </summary>
public sealed class RedisKeyPrefixTests
{
    [Fact]
    public async Task Revocation_ReachesTheServiceWithTheMatchingPrefix_AndNotOneWithAnother()
    {
        Assert.SkipUnless(TestStorage.UsesRealServers && TestStorage.RedisConnection is not null,
            "the Redis feed needs Redis; run through test.sh");
        var prefix = $"tenant-a-{Guid.NewGuid():N}:";
        var otherPrefix = $"tenant-b-{Guid.NewGuid():N}:";
        await using var identity = await IdentityNode.StartAsync(new Dictionary<string, string?> { ["Gatehouse:Redis:KeyPrefix"] = prefix });
        await using var matching = await identity.StartServiceAsync(redis: true, o => o.Revocation.RedisKeyPrefix = prefix);
        await using var other = await identity.StartServiceAsync(redis: true, o => o.Revocation.RedisKeyPrefix = otherPrefix);
        var token = await identity.TokenAsync();
        Assert.True(await matching.AnswersAsync(token, HttpStatusCode.OK));
        Assert.True(await other.AnswersAsync(token, HttpStatusCode.OK));

        using var revoked = await identity.App.CreateClient().PostFormAsync("/connect/revoke", [new("token", token)],
            ProtocolClient.Basic(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret));
        revoked.EnsureSuccessStatusCode();

        var took = await Eventually.HoldsAsync(() => matching.AnswersAsync(token, HttpStatusCode.Unauthorized), "the service with the matching prefix refuses the revoked token");
        TestContext.Current.TestOutputHelper?.WriteLine($"revocation seen after {took.TotalMilliseconds:0} ms (Redis, prefix {prefix})");

        // A service started now reads its prefix's stream from the start before it counts the feed as
        // reachable: had the revocation been written under its prefix, it would know it.
        await using var late = await identity.StartServiceAsync(redis: true, o => o.Revocation.RedisKeyPrefix = otherPrefix);
        var status = late.Services.GetRequiredService<RevocationList>().Status;
        await Eventually.HoldsAsync(() => Task.FromResult(status.IsReachable), "the late service reaches Redis");
        Assert.True(await late.AnswersAsync(token, HttpStatusCode.OK));
        Assert.True(await other.AnswersAsync(token, HttpStatusCode.OK));
    }
}
