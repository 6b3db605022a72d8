using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gatehouse.Identity.Tests.Infrastructure;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Tests.Connect;

/// <summary>
/// The fast path reads clients from a short-lived cache; a change made through the application manager
/// must still apply at once, on this node and (through Redis) on the others.
/// </summary>
public sealed class ClientRegistrationCacheTests
{
    // Far below the cache lifetime (30 s): a node that only waited for its entry to expire fails.
    private static readonly TimeSpan PropagationDeadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ChangedClient_IsServedItsNewRegistrationAtOnce()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var node = new GatehouseApp(storage);
        using var grants = new GrantCounter(node.Services);
        var http = node.CreateClient();
        await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        Assert.Equal(1, grants.Fast);

        await ChangeClientAsync(node, GatehouseApp.OrdersClient, descriptor => descriptor.Permissions.Remove(Permissions.Prefixes.Scope + "images.read"));

        using var refused = await http.RequestClientCredentialsAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        // The rest of the registration, secret included, is unchanged.
        var token = ProtocolClient.Read(await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "reports"));
        Assert.Equal("reports", token.GetClaim("scope").Value);
    }

    [Fact]
    public async Task ChangeOnOneNode_ReachesTheOthersCache_WhenRedisIsConfigured()
    {
        Assert.SkipUnless(TestStorage.UsesRealServers && TestStorage.RedisConnection is not null,
            "without Redis every node is on its own; run through test.sh for Redis");

        await using var storage = await TestStorage.CreateAsync();
        await using var first = new GatehouseApp(storage);
        _ = first.Server;
        await using var second = new GatehouseApp(storage);
        using var grants = new GrantCounter(second.Services);
        var http = second.CreateClient();
        await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        var before = grants.Fast;
        await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        Assert.Equal(before + 1, grants.Fast); // the second node now holds the client in its cache

        await ChangeClientAsync(first, GatehouseApp.OrdersClient, descriptor => descriptor.Permissions.Remove(Permissions.Prefixes.Scope + "images.read"));

        Assert.True(
            await EventuallyAsync(async () =>
            {
                using var response = await http.RequestClientCredentialsAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
                return response.StatusCode == HttpStatusCode.BadRequest;
            }),
            "the other node kept granting a scope the client lost");
    }

    [Fact]
    public async Task NewSecretOnOneNode_RefusesTheOldSecretOnTheOther_WhenRedisIsConfigured()
    {
        Assert.SkipUnless(TestStorage.UsesRealServers && TestStorage.RedisConnection is not null,
            "without Redis every node is on its own; run through test.sh for Redis");

        const string newSecret = "orders-service-secret-0002";
        await using var storage = await TestStorage.CreateAsync();
        await using var first = new GatehouseApp(storage);
        _ = first.Server;
        await using var second = new GatehouseApp(storage);
        var http = second.CreateClient();
        await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);
        await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);

        await ChangeClientAsync(first, GatehouseApp.OrdersClient, descriptor => descriptor.ClientSecret = newSecret);

        Assert.True(
            await EventuallyAsync(async () =>
            {
                using var response = await http.RequestClientCredentialsAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);
                return response.StatusCode == HttpStatusCode.Unauthorized;
            }),
            "the other node kept accepting the replaced secret");
        await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, newSecret);
    }

    [Fact]
    public async Task ClientWithAPropertyTheFastPathDoesNotKnow_IsServedByOpenIddict()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var node = new GatehouseApp(storage);
        using var grants = new GrantCounter(node.Services);
        await using (var scope = node.Services.CreateAsyncScope())
        {
            var descriptor = new OpenIddictApplicationDescriptor
            {
                ClientId = "with-new-property",
                ClientSecret = "with-new-property-secret-01",
                ClientType = ClientTypes.Confidential,
            };
            descriptor.Permissions.UnionWith([Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials, Permissions.Prefixes.Scope + "images.read"]);
            descriptor.Properties["allowed_networks"] = JsonSerializer.SerializeToElement(new[] { "10.0.0.0/8" });
            await scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>().CreateAsync(descriptor, TestContext.Current.CancellationToken);
        }

        var http = node.CreateClient();
        await http.GetAccessTokenAsync("with-new-property", "with-new-property-secret-01", "images.read");
        await http.GetAccessTokenAsync("with-new-property", "with-new-property-secret-01", "images.read");

        Assert.Equal(0, grants.Fast);
        Assert.Equal(2, grants.Standard);
    }

    [Fact]
    public async Task ClientWithReferenceAccessTokens_KeepsGettingThemFromOpenIddict()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var node = new GatehouseApp(storage, new Dictionary<string, string?>
        {
            ["Gatehouse:Clients:opaque-service:Secret"] = "opaque-service-secret-0001",
            ["Gatehouse:Clients:opaque-service:GrantTypes:0"] = "client_credentials",
            ["Gatehouse:Clients:opaque-service:Scopes:0"] = "images.read",
            ["Gatehouse:Clients:opaque-service:AccessTokenFormat"] = "reference",
        });
        using var grants = new GrantCounter(node.Services);
        var http = node.CreateClient();

        var first = await http.GetAccessTokenAsync("opaque-service", "opaque-service-secret-0001", "images.read");
        var second = await http.GetAccessTokenAsync("opaque-service", "opaque-service-secret-0001", "images.read");

        Assert.DoesNotContain('.', first);
        Assert.DoesNotContain('.', second);
        Assert.Equal(0, grants.Fast);
    }

    [Fact]
    public async Task ClientSwitchedToReferenceAccessTokens_GetsOpaqueTokensAtOnce()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var node = new GatehouseApp(storage);
        var http = node.CreateClient();
        var before = await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        Assert.Contains('.', before);

        await ChangeClientAsync(node, GatehouseApp.OrdersClient,
            descriptor => descriptor.Settings[Gatehouse.Identity.Connect.ClientRegistration.AccessTokenFormatSetting] = "reference");

        var after = await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        Assert.DoesNotContain('.', after);
        Assert.True(await http.IsActiveAsync(after));
    }

    internal static async Task ChangeClientAsync(GatehouseApp node, string clientId, Action<OpenIddictApplicationDescriptor> change)
    {
        await using var scope = node.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var cancellationToken = TestContext.Current.CancellationToken;
        var application = await applications.FindByClientIdAsync(clientId, cancellationToken) ?? throw new InvalidOperationException(clientId);
        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, cancellationToken);
        change(descriptor);
        await applications.UpdateAsync(application, descriptor, cancellationToken);
    }

    internal static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < PropagationDeadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        return false;
    }
}
