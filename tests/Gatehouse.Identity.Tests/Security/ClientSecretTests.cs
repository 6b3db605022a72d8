using Gatehouse.Identity.Security;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using OpenIddict.EntityFrameworkCore.Models;

namespace Gatehouse.Identity.Tests.Security;

public sealed class VerifiedSecretCacheTests
{
    [Fact]
    public void IsKnownGood_AfterRememberGood_ForTheSameHashAndSecret()
    {
        using var cache = new VerifiedSecretCache();
        cache.RememberGood("hash-1", "s3cret-value");

        Assert.True(cache.IsKnownGood("hash-1", "s3cret-value"));
    }

    [Fact]
    public void IsKnownGood_ForAnotherSecret_IsFalse()
    {
        using var cache = new VerifiedSecretCache();
        cache.RememberGood("hash-1", "s3cret-value");

        Assert.False(cache.IsKnownGood("hash-1", "s3cret-valuf"));
        Assert.False(cache.IsKnownGood("hash-1", ""));
    }

    [Fact]
    public void IsKnownGood_AfterTheStoredHashChanged_IsFalse()
    {
        using var cache = new VerifiedSecretCache();
        cache.RememberGood("hash-1", "s3cret-value");

        Assert.False(cache.IsKnownGood("hash-2", "s3cret-value"));
    }

    [Fact]
    public void IsKnownGood_WithNothingRemembered_IsFalse()
    {
        using var cache = new VerifiedSecretCache();

        Assert.False(cache.IsKnownGood("hash-1", "s3cret-value"));
    }
}

public sealed class ClientSecretStorageTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    [Fact]
    public async Task ConfiguredClientSecret_IsStoredAsAHash_NeverInClear()
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Gatehouse.Identity.Data.GatehouseDbContext>();
        var client = await db.Set<OpenIddictEntityFrameworkCoreApplication>().AsNoTracking()
            .SingleAsync(app => app.ClientId == GatehouseApp.OrdersClient, TestContext.Current.CancellationToken);

        Assert.NotNull(client.ClientSecret);
        Assert.DoesNotContain(GatehouseApp.OrdersSecret, client.ClientSecret);
        Assert.True(Convert.FromBase64String(client.ClientSecret).Length > 32, "a salted hash, not the secret");
    }

    [Fact]
    public async Task Restart_WithUnchangedConfiguration_DoesNotRewriteTheClient()
    {
        string? before;
        await using (var scope = fixture.App.Services.CreateAsyncScope())
        {
            before = await StampAsync(scope.ServiceProvider);
        }

        await using var second = new GatehouseApp(fixture.App.Storage);
        _ = second.Server;
        await using var secondScope = second.Services.CreateAsyncScope();
        Assert.Equal(before, await StampAsync(secondScope.ServiceProvider));
    }

    [Fact]
    public async Task ChangedSecretInConfiguration_ReplacesTheOldOne()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using (var first = new GatehouseApp(storage))
        {
            await first.CreateClient().GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);
        }

        const string rotated = "orders-service-secret-0002";
        await using var second = new GatehouseApp(storage, new Dictionary<string, string?> { [$"Gatehouse:Clients:{GatehouseApp.OrdersClient}:Secret"] = rotated });
        var http = second.CreateClient();

        await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, rotated);
        using var old = await http.RequestClientCredentialsAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, old.StatusCode);
    }

    private static async Task<string?> StampAsync(IServiceProvider services) =>
        await services.GetRequiredService<Gatehouse.Identity.Data.GatehouseDbContext>()
            .Set<OpenIddictEntityFrameworkCoreApplication>().AsNoTracking()
            .Where(app => app.ClientId == GatehouseApp.OrdersClient)
            .Select(app => app.ConcurrencyToken)
            .SingleAsync(TestContext.Current.CancellationToken);
}
