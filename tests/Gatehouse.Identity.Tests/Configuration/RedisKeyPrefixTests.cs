using System.Net;
using Gatehouse.Identity.Codes;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Extensions;
using Gatehouse.Identity.Tests.Codes;
using Gatehouse.Identity.Tests.Connect;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Tests.Configuration;

/// <summary>
/// <c>Gatehouse:Redis:KeyPrefix</c>: two deployments sharing one Redis keep apart. The nodes below share
/// one database too, so a token of one deployment would be valid on the other: only the Redis prefix
/// keeps their revocations, codes and announcements apart.
/// </summary>
public sealed class RedisKeyPrefixTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static void SkipUnlessRedis() =>
        Assert.SkipUnless(TestStorage.UsesRealServers && TestStorage.RedisConnection is not null,
            "the embedded default keeps these stores in-process; run through test.sh for Redis");

    [Fact]
    public async Task RevocationOnOneDeployment_IsSeenByItsOtherNode_AndNotByAnotherPrefix()
    {
        SkipUnlessRedis();
        await using var deployments = await TwoDeployments.StartAsync();
        var (first, second, other) = (deployments.First, deployments.Second, deployments.Other);
        var http = first.CreateClient();
        var token = await http.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        Assert.True(await other.CreateClient().IsActiveAsync(token));

        using var revoked = await http.PostFormAsync("/connect/revoke", [new("token", token)],
            ProtocolClient.Basic(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret));
        revoked.EnsureSuccessStatusCode();

        Assert.False(await second.CreateClient().IsActiveAsync(token));
        Assert.True(await other.CreateClient().IsActiveAsync(token));
    }

    [Fact]
    public async Task CodeIssuedOnOneDeployment_VerifiesOnItsOtherNode_AndIsUnknownToAnotherPrefix()
    {
        SkipUnlessRedis();
        var clock = new ManualClock();
        await using var deployments = await TwoDeployments.StartAsync();
        var (first, second, other) = (deployments.First, deployments.Second, deployments.Other);
        var user = Guid.NewGuid();

        var issued = await VerificationCodeTests.CodesOf(first, clock).IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel);

        Assert.Equal(CodeCheckResult.NotFound,
            await VerificationCodeTests.CodesOf(other, clock).VerifyAsync(user, VerificationPurpose.ConfirmEmail, issued.Code, Cancel));
        Assert.Equal(CodeCheckResult.Valid,
            await VerificationCodeTests.CodesOf(second, clock).VerifyAsync(user, VerificationPurpose.ConfirmEmail, issued.Code, Cancel));
    }

    [Fact]
    public async Task ClientChangeAnnouncement_ReachesItsOtherNode_AndNotAnotherPrefix()
    {
        SkipUnlessRedis();
        await using var deployments = await TwoDeployments.StartAsync();
        var (first, second, other) = (deployments.First, deployments.Second, deployments.Other);
        var (secondHttp, otherHttp) = (second.CreateClient(), other.CreateClient());
        // Both now hold the client in their caches.
        await secondHttp.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        await otherHttp.GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");

        await ClientRegistrationCacheTests.ChangeClientAsync(first, GatehouseApp.OrdersClient,
            descriptor => descriptor.Permissions.Remove(Permissions.Prefixes.Scope + "images.read"));

        Assert.True(
            await ClientRegistrationCacheTests.EventuallyAsync(async () =>
            {
                using var response = await secondHttp.RequestClientCredentialsAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
                return response.StatusCode == HttpStatusCode.BadRequest;
            }),
            "the other node of the same deployment kept granting a scope the client lost");
        // The announcement has been delivered; the other deployment's node did not hear it and still
        // answers from its cache.
        using var stillCached = await otherHttp.RequestClientCredentialsAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
        Assert.Equal(HttpStatusCode.OK, stillCached.StatusCode);
    }

    [Theory]
    [InlineData("Gatehouse:Redis:KeyPrefix", "")]
    [InlineData("Gatehouse:Redis:KeyPrefix", "staging gatehouse:")]
    [InlineData("Gatehouse:Redis:KeyPrefix", "préprod:")]
    [InlineData("Gatehouse:Redis:KeyPrefix", "tab\t:")]
    [InlineData("Gatehouse:Redis:KeyPrefix", "p0123456789012345678901234567890123456789012345678901234567890123:")]
    [InlineData("Gatehouse:Accounts:RateLimits:RedisKeyPrefix", "")]
    [InlineData("Gatehouse:ClientAuthentication:RedisKeyPrefix", "client auth:")]
    public void WrongPrefix_StopsStartUp_NamingTheKey(string key, string value)
    {
        var exception = Assert.Throws<GatehouseConfigurationException>(() => Build(new() { [key] = value }));

        Assert.Contains(exception.Problems, problem => problem.StartsWith(key + " ", StringComparison.Ordinal));
    }

    [Fact]
    public void LongestPrefix_Starts()
    {
        var prefix = new string('p', Gatehouse.ResourceServer.RedisKeyPrefix.MaxLength - 1) + ":";

        Assert.Equal(prefix, Build(new() { ["Gatehouse:Redis:KeyPrefix"] = prefix }).Redis.KeyPrefix);
    }

    [Fact]
    public void SpecificPrefixes_DefaultToTheDeploymentPrefix()
    {
        var options = Build(new() { ["Gatehouse:Redis:KeyPrefix"] = "staging:" });

        Assert.Equal("staging:ratelimit:", options.Accounts.RateLimits.RedisKeyPrefix);
        Assert.Equal("staging:client-auth:", options.ClientAuthentication.RedisKeyPrefix);
    }

    [Fact]
    public void Unset_KeepsTheKeysOfEarlierReleases()
    {
        var options = Build([]);

        Assert.Equal("gatehouse:", options.Redis.KeyPrefix);
        Assert.Equal("gatehouse:ratelimit:", options.Accounts.RateLimits.RedisKeyPrefix);
        Assert.Equal("gatehouse:client-auth:", options.ClientAuthentication.RedisKeyPrefix);
    }

    [Fact]
    public void SpecificPrefixesSetExplicitly_AreKept()
    {
        var options = Build(new()
        {
            ["Gatehouse:Redis:KeyPrefix"] = "staging:",
            ["Gatehouse:Accounts:RateLimits:RedisKeyPrefix"] = "limits:",
            ["Gatehouse:ClientAuthentication:RedisKeyPrefix"] = "auth-failures:",
        });

        Assert.Equal("limits:", options.Accounts.RateLimits.RedisKeyPrefix);
        Assert.Equal("auth-failures:", options.ClientAuthentication.RedisKeyPrefix);
    }

    /// <summary>Runs the service's start-up wiring on <paramref name="settings"/> and returns the options it resolved.</summary>
    private static GatehouseOptions Build(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddGatehouseIdentity();
        using var app = builder.Build();
        return app.Services.GetRequiredService<IOptions<GatehouseOptions>>().Value;
    }
}

/// <summary>
/// Three nodes on one database and one Redis: <see cref="First"/> and <see cref="Second"/> with one key
/// prefix (one deployment), <see cref="Other"/> with another.
/// </summary>
internal sealed class TwoDeployments : IAsyncDisposable
{
    private readonly TestStorage _storage;

    private TwoDeployments(TestStorage storage, GatehouseApp first, GatehouseApp second, GatehouseApp other)
    {
        _storage = storage;
        (First, Second, Other) = (first, second, other);
    }

    public GatehouseApp First { get; }

    public GatehouseApp Second { get; }

    public GatehouseApp Other { get; }

    public static async Task<TwoDeployments> StartAsync()
    {
        var (staging, production) = (Prefixed("staging"), Prefixed("production"));
        var storage = await TestStorage.CreateAsync();
        var first = new GatehouseApp(storage, staging);
        _ = first.Server; // migrates the database before the other nodes start
        return new TwoDeployments(storage, first, new GatehouseApp(storage, staging), new GatehouseApp(storage, production));
    }

    private static Dictionary<string, string?> Prefixed(string name) =>
        new() { ["Gatehouse:Redis:KeyPrefix"] = $"{name}-{Guid.NewGuid():N}:" };

    public async ValueTask DisposeAsync()
    {
        await Other.DisposeAsync();
        await Second.DisposeAsync();
        await First.DisposeAsync();
        await _storage.DisposeAsync();
    }
}
