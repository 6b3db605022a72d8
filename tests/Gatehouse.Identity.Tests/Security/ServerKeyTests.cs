using System.Text.Json;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Tests.Security;

public sealed class ServerKeyTests
{
    [Fact]
    public async Task Restart_PublishesTheSameJwks_AndEarlierTokensStillIntrospectActive()
    {
        await using var storage = await TestStorage.CreateAsync();
        string token;
        string jwksBefore;
        await using (var first = new GatehouseApp(storage))
        {
            var http = first.CreateClient();
            token = await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
            jwksBefore = await http.GetStringAsync("/.well-known/jwks", TestContext.Current.CancellationToken);
        }

        await using var second = new GatehouseApp(storage);
        var again = second.CreateClient();
        Assert.Equal(jwksBefore, await again.GetStringAsync("/.well-known/jwks", TestContext.Current.CancellationToken));
        Assert.True(await again.IsActiveAsync(token));
    }

    [Fact]
    public async Task Rotation_AfterThePeriod_SignsWithANewKeyAndKeepsPublishingTheOldOne()
    {
        await using var storage = await TestStorage.CreateAsync();
        string oldToken;
        await using (var first = new GatehouseApp(storage))
        {
            oldToken = await first.CreateClient().GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
            await AgeKeysAsync(first, TimeSpan.FromDays(91));
        }

        await using var second = new GatehouseApp(storage);
        var http = second.CreateClient();
        var newToken = await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        var kids = await PublishedKeyIdsAsync(http);

        var oldKid = ProtocolClient.Read(oldToken).Kid;
        var newKid = ProtocolClient.Read(newToken).Kid;
        Assert.NotEqual(oldKid, newKid);
        Assert.Equal([newKid, oldKid], kids);
        Assert.True(await http.IsActiveAsync(oldToken), "a token signed by the retired key stays valid until it expires");
    }

    [Fact]
    public async Task Retired_KeysPastTheRetentionPeriod_AreNoLongerPublished()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using (var first = new GatehouseApp(storage))
        {
            await first.CreateClient().GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);
            await AgeKeysAsync(first, TimeSpan.FromDays(91));
        }

        await using (var second = new GatehouseApp(storage))
        {
            Assert.Equal(2, (await PublishedKeyIdsAsync(second.CreateClient())).Length);
            await using var scope = second.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
            foreach (var key in await db.ServerKeys.Where(key => key.RetiredAt != null).ToListAsync(TestContext.Current.CancellationToken))
            {
                key.RetiredAt = DateTime.UtcNow - TimeSpan.FromDays(15);
            }

            await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        }

        await using var third = new GatehouseApp(storage);
        Assert.Single(await PublishedKeyIdsAsync(third.CreateClient()));
    }

    [Fact]
    public async Task SigningAlgorithm_Rs256_IsSelectable()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = new GatehouseApp(storage, new Dictionary<string, string?> { ["Gatehouse:Tokens:SigningAlgorithm"] = "RS256" });
        var http = app.CreateClient();

        var token = ProtocolClient.Read(await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret));
        var jwks = JsonDocument.Parse(await http.GetStringAsync("/.well-known/jwks", TestContext.Current.CancellationToken));

        Assert.Equal("RS256", token.Alg);
        var key = Assert.Single(jwks.RootElement.GetProperty("keys").EnumerateArray());
        Assert.Equal("RSA", key.GetProperty("kty").GetString());
        Assert.False(key.TryGetProperty("d", out _));
    }

    [Fact]
    public async Task Keys_AreStoredInTheDatabase_OneActivePerUse()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = new GatehouseApp(storage);
        _ = app.Server;

        await using var scope = app.Services.CreateAsyncScope();
        var keys = await scope.ServiceProvider.GetRequiredService<GatehouseDbContext>().ServerKeys.AsNoTracking().ToListAsync(TestContext.Current.CancellationToken);

        Assert.Single(keys, key => key is { Use: ServerKeyUse.Signing, RetiredAt: null, Algorithm: "ES256" });
        Assert.Single(keys, key => key is { Use: ServerKeyUse.Encryption, RetiredAt: null, Algorithm: "A256KW" });
    }

    private static async Task AgeKeysAsync(GatehouseApp app, TimeSpan age)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        var keys = await db.ServerKeys.ToListAsync(TestContext.Current.CancellationToken);
        db.ServerKeys.RemoveRange(keys);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        db.ServerKeys.AddRange(keys.Select(key => new ServerKey
        {
            Id = key.Id, Use = key.Use, Algorithm = key.Algorithm, Material = key.Material,
            CreatedAt = key.CreatedAt - age, RetiredAt = key.RetiredAt,
        }));
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The key ids in the JWKS, in the order published.</summary>
    internal static async Task<string?[]> PublishedKeyIdsAsync(HttpClient http)
    {
        var jwks = JsonDocument.Parse(await http.GetStringAsync("/.well-known/jwks", TestContext.Current.CancellationToken));
        return [.. jwks.RootElement.GetProperty("keys").EnumerateArray().Select(key => key.GetProperty("kid").GetString())];
    }

}
