using Gatehouse.Identity.Data;
using Gatehouse.Identity.Security;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Tests.Security;

/// <summary>A running node keeps its keys in line with the database without a restart or an announcement.</summary>
public sealed class ServerKeyMaintenanceTests
{
    // Long enough that only the test's own checks run, except where the test is about the timer.
    private static readonly Dictionary<string, string?> ChecksByHand = new() { ["Gatehouse:Keys:CheckInterval"] = "01:00:00" };

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KeysPastTheirRotationPeriod_AreRotatedOnTheRunningNode_AndTheOldKeyStaysPublished()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = new GatehouseApp(storage, ChecksByHand);
        var http = app.CreateClient();
        var oldToken = await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        var maintenance = app.Services.GetRequiredService<ServerKeyMaintenance>();
        Assert.Equal(KeyRingState.Current, await maintenance.CheckAsync(Cancel));

        await AgeKeysAsync(app, TimeSpan.FromDays(91));
        Assert.Equal(KeyRingState.RotationDue, await maintenance.CheckAsync(Cancel));

        var newToken = await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        var oldKid = ProtocolClient.Read(oldToken).Kid;
        var newKid = ProtocolClient.Read(newToken).Kid;
        Assert.NotEqual(oldKid, newKid);
        Assert.Equal([newKid, oldKid], await ServerKeyTests.PublishedKeyIdsAsync(http));
        Assert.True(await http.IsActiveAsync(oldToken), "a token signed by the retired key stays valid until it expires");
        Assert.Equal(KeyRingState.Current, await maintenance.CheckAsync(Cancel));
    }

    [Fact]
    public async Task ANodeThatMissedARotation_PublishesTheNewKeyAtItsNextCheck()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var first = new GatehouseApp(storage, ChecksByHand);
        await using var second = new GatehouseApp(storage, ChecksByHand);
        var secondHttp = second.CreateClient();
        var before = await ServerKeyTests.PublishedKeyIdsAsync(secondHttp);

        // A rotation stored without telling anyone: what a lost announcement leaves behind.
        var rotated = await RotateSilentlyAsync(first);

        Assert.Equal(before, await ServerKeyTests.PublishedKeyIdsAsync(secondHttp));
        Assert.Equal(KeyRingState.Stale, await second.Services.GetRequiredService<ServerKeyMaintenance>().CheckAsync(Cancel));
        string?[] expected = [rotated, .. before];
        Assert.Equal(expected, await ServerKeyTests.PublishedKeyIdsAsync(secondHttp));
        var token = await secondHttp.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);
        Assert.Equal(rotated, ProtocolClient.Read(token).Kid);
    }

    [Fact]
    public async Task RetiredKeysPastTheRetentionPeriod_StopBeingPublished_WithoutARestart()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = new GatehouseApp(storage, ChecksByHand);
        var http = app.CreateClient();
        var maintenance = app.Services.GetRequiredService<ServerKeyMaintenance>();
        var rotated = await RotateSilentlyAsync(app);
        Assert.Equal(KeyRingState.Stale, await maintenance.CheckAsync(Cancel));
        Assert.Equal(2, (await ServerKeyTests.PublishedKeyIdsAsync(http)).Length);

        await using (var scope = app.Services.CreateAsyncScope())
        {
            var longAgo = DateTime.UtcNow - TimeSpan.FromDays(15);
            await scope.ServiceProvider.GetRequiredService<GatehouseDbContext>().ServerKeys
                .Where(key => key.RetiredAt != null)
                .ExecuteUpdateAsync(set => set.SetProperty(key => key.RetiredAt, longAgo), Cancel);
        }

        Assert.Equal(KeyRingState.Stale, await maintenance.CheckAsync(Cancel));
        Assert.Equal([rotated], await ServerKeyTests.PublishedKeyIdsAsync(http));
    }

    [Fact]
    public async Task TheCheckRunsByItself_EveryCheckInterval()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = new GatehouseApp(storage, new Dictionary<string, string?> { ["Gatehouse:Keys:CheckInterval"] = "00:00:01" });
        var http = app.CreateClient();
        var rotated = await RotateSilentlyAsync(app);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string?[] published;
        do
        {
            await Task.Delay(200, Cancel);
            published = await ServerKeyTests.PublishedKeyIdsAsync(http);
        }
        while (published.FirstOrDefault() != rotated && DateTime.UtcNow < deadline);

        Assert.Equal(rotated, published.FirstOrDefault());
    }

    /// <summary>Rotates the signing key in the database only, as another node would; returns the new key's id.</summary>
    private static async Task<string> RotateSilentlyAsync(GatehouseApp app)
    {
        _ = app.Server;
        await using var scope = app.Services.CreateAsyncScope();
        var created = await app.Services.GetRequiredService<ServerKeyRing>()
            .RotateSigningKeyAsync(scope.ServiceProvider.GetRequiredService<GatehouseDbContext>(), Cancel);
        return created.Id;
    }

    private static async Task AgeKeysAsync(GatehouseApp app, TimeSpan age)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        foreach (var key in await db.ServerKeys.AsNoTracking().ToListAsync(Cancel))
        {
            var createdAt = key.CreatedAt - age;
            await db.ServerKeys.Where(stored => stored.Id == key.Id)
                .ExecuteUpdateAsync(set => set.SetProperty(stored => stored.CreatedAt, createdAt), Cancel);
        }
    }
}
