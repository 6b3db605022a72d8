using System.Net;
using System.Text.Json;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>/admin/keys: listing never shows private material; rotation changes the signing key on every node.</summary>
public sealed class AdminKeysApiTests(AdminFixture fixture) : IClassFixture<AdminFixture>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("GET", "/admin/keys")]
    [InlineData("POST", "/admin/keys/rotate")]
    public async Task WithoutAToken_Answers401_AndWithoutTheScope_403(string method, string path)
    {
        var clientsOnly = new AdminApi(fixture.App.CreateClient(), AdminFixture.ClientsAdmin, AdminFixture.ClientsAdminSecret);

        using var anonymous = await fixture.App.CreateClient().SendAsync(new HttpRequestMessage(new HttpMethod(method), path), Cancel);
        using var forbidden = await clientsOnly.SendAsync(new HttpMethod(method), path);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
    }

    [Fact]
    public async Task List_ShowsTheActiveKey_WithoutPrivateMaterial()
    {
        var admin = new AdminApi(fixture.App.CreateClient(), AdminFixture.KeysAdmin, AdminFixture.KeysAdminSecret);

        using var response = await admin.GetAsync("/admin/keys");
        var text = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var keys = JsonDocument.Parse(text).RootElement.GetProperty("keys").EnumerateArray().ToList();
        var active = Assert.Single(keys, key => key.GetProperty("state").GetString() == "active");
        Assert.Equal("ES256", active.GetProperty("algorithm").GetString());
        Assert.Contains(active.GetProperty("kid").GetString(), await PublishedKidsAsync(fixture.App.CreateClient()));
        foreach (var key in keys)
        {
            Assert.Equal(["algorithm", "created_at", "kid", "published_until", "retired_at", "state"],
                key.EnumerateObject().Select(property => property.Name).Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task Rotate_SignsNewTokensWithTheNewKey_AndKeepsTheOldOnePublishedForTokensItSigned()
    {
        var http = fixture.App.CreateClient();
        var admin = new AdminApi(fixture.App.CreateClient(), AdminFixture.KeysAdmin, AdminFixture.KeysAdminSecret);
        var oldToken = await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read"); // warm the fast path
        var oldKid = ProtocolClient.Read(oldToken).Kid;

        using var rotated = await admin.PostAsync("/admin/keys/rotate");
        var created = await rotated.ReadJsonAsync();

        Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
        var newKid = created.GetProperty("kid").GetString();
        Assert.NotEqual(oldKid, newKid);
        Assert.Equal("active", created.GetProperty("state").GetString());

        var published = await PublishedKidsAsync(http);
        Assert.Contains(newKid, published);
        Assert.Contains(oldKid, published);

        var list = await (await admin.GetAsync("/admin/keys")).ReadJsonAsync();
        var old = list.GetProperty("keys").EnumerateArray().Single(key => key.GetProperty("kid").GetString() == oldKid);
        Assert.Equal("published-only", old.GetProperty("state").GetString());

        // New tokens, from the fast path and from OpenIddict (a secret seen for the first time), carry the
        // new kid; the old token still works.
        using var grants = new GrantCounter(fixture.App.Services);
        Assert.Equal(newKid, ProtocolClient.Read(await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read")).Kid);
        Assert.Equal(1, grants.Fast);
        var (clientId, secret) = await AdminApi.Console(fixture.App).CreateServiceClientAsync("after-rotation");
        Assert.Equal(newKid, ProtocolClient.Read(await http.GetAccessTokenAsync(clientId, secret, "images.read")).Kid);
        Assert.True(grants.Standard >= 1);
        Assert.True(await http.IsActiveAsync(oldToken));

        // The admin API itself accepts tokens signed with either key.
        using var withOldKey = await admin.GetAsync("/admin/keys");
        Assert.Equal(HttpStatusCode.OK, withOldKey.StatusCode);
        var fresh = new AdminApi(fixture.App.CreateClient(), AdminFixture.KeysAdmin, AdminFixture.KeysAdminSecret);
        Assert.Equal(newKid, ProtocolClient.Read(await fresh.TokenAsync()).Kid);
        using var withNewKey = await fresh.GetAsync("/admin/keys");
        Assert.Equal(HttpStatusCode.OK, withNewKey.StatusCode);
        await AdminClientsApiTests.AssertAuditedAsync(fixture.App, Gatehouse.Identity.Audit.AuditEventTypes.SigningKeyRotated,
            AdminFixture.KeysAdmin, "signing_key:" + newKid);
    }

    [Fact]
    public async Task Rotate_OnOneNode_ChangesTheJwksOfTheOther_WhenRedisIsConfigured()
    {
        Assert.SkipUnless(TestStorage.UsesRealServers && TestStorage.RedisConnection is not null,
            "without Redis each node is alone; run through test.sh for Redis");

        await using var second = new GatehouseApp(fixture.App.Storage, AdminFixture.Settings());
        var other = second.CreateClient();
        var before = await PublishedKidsAsync(other);
        var admin = new AdminApi(fixture.App.CreateClient(), AdminFixture.KeysAdmin, AdminFixture.KeysAdminSecret);

        using var rotated = await admin.PostAsync("/admin/keys/rotate");
        var newKid = (await rotated.ReadJsonAsync()).GetProperty("kid").GetString();

        // Pub/sub is asynchronous: the other node reloads within moments.
        IReadOnlyList<string?> after = before;
        for (var attempt = 0; attempt < 50 && !after.Contains(newKid); attempt++)
        {
            await Task.Delay(100, Cancel);
            after = await PublishedKidsAsync(other);
        }

        Assert.Contains(newKid, after);
        Assert.All(before, kid => Assert.Contains(kid, after));
        Assert.Equal(newKid, ProtocolClient.Read(await other.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read")).Kid);
    }

    private static async Task<IReadOnlyList<string?>> PublishedKidsAsync(HttpClient http)
    {
        var jwks = JsonDocument.Parse(await http.GetStringAsync("/.well-known/jwks", Cancel));
        return [.. jwks.RootElement.GetProperty("keys").EnumerateArray().Select(key => key.GetProperty("kid").GetString())];
    }
}
