using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Connect;

/// <summary>Two identity nodes on one database (and one Redis, when configured) behave as one service.</summary>
public sealed class MultiNodeTests
{
    [Fact]
    public async Task TokenFromOneNode_IsActiveOnTheOther()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var first = new GatehouseApp(storage);
        _ = first.Server;
        await using var second = new GatehouseApp(storage);

        var token = await first.CreateClient().GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");

        Assert.True(await second.CreateClient().IsActiveAsync(token));
    }

    [Fact]
    public async Task RevocationOnOneNode_IsSeenByTheOther_WhenRedisIsConfigured()
    {
        Assert.SkipUnless(TestStorage.UsesRealServers && TestStorage.RedisConnection is not null,
            "the embedded default keeps the denylist in-process; run through test.sh for Redis");

        await using var storage = await TestStorage.CreateAsync();
        await using var first = new GatehouseApp(storage);
        _ = first.Server;
        await using var second = new GatehouseApp(storage);
        var http = first.CreateClient();
        var token = await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");

        using var revoked = await http.PostFormAsync("/connect/revoke", [new("token", token)],
            ProtocolClient.Basic(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret));
        revoked.EnsureSuccessStatusCode();

        Assert.False(await second.CreateClient().IsActiveAsync(token));
    }

}
