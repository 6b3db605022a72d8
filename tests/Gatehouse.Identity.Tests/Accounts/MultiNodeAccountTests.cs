using System.Net;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Accounts;

/// <summary>Two identity nodes on one database (and one Redis, when configured) run the account flows as one service.</summary>
public sealed class MultiNodeAccountTests
{
    private const string Password = "saffron-tundra-pylon-3318";

    [Fact]
    public async Task SessionFromOneNode_IsRefreshedAndLoggedOutOnTheOther()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var first = new GatehouseApp(storage);
        _ = first.Server;
        await using var second = new GatehouseApp(storage);
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(first, email, Password);

        var pair = await new AccountApi(first.CreateClient()).SignInAsync(email, Password);
        var other = new AccountApi(second.CreateClient());
        var refreshed = await other.RefreshAsync(pair.RefreshToken);
        using var logout = await other.PostAsync("/auth/logout", bearer: refreshed.AccessToken);

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        using var again = await new AccountApi(first.CreateClient()).PostAsync("/auth/refresh-tokens", new { refresh_token = refreshed.RefreshToken });
        Assert.Equal("invalid_refresh_token", await AccountApi.ProblemCodeAsync(again, HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task PerAccountRateLimit_HoldsAcrossNodes_WhenRedisIsConfigured()
    {
        Assert.SkipUnless(TestStorage.UsesRealServers && TestStorage.RedisConnection is not null,
            "the embedded default counts in-process; run through test.sh for Redis");

        var settings = new Dictionary<string, string?>
        {
            ["Gatehouse:Accounts:RateLimits:PerAccountPermits"] = "4",
            ["Gatehouse:Accounts:RateLimits:Window"] = "00:10:00",
            ["Gatehouse:Accounts:RateLimits:RedisKeyPrefix"] = $"test:{Guid.NewGuid():N}:",
        };
        await using var storage = await TestStorage.CreateAsync();
        await using var first = new GatehouseApp(storage, settings);
        _ = first.Server;
        await using var second = new GatehouseApp(storage, settings);
        var nodes = new[] { new AccountApi(first.CreateClient()), new AccountApi(second.CreateClient()) };
        var email = AccountApi.NewEmail();

        for (var i = 0; i < 4; i++)
        {
            using var allowed = await nodes[i % 2].PostAsync("/auth/sign-in", new { email, password = "wrong-password-1" });
            Assert.Equal(HttpStatusCode.Unauthorized, allowed.StatusCode);
        }

        foreach (var node in nodes)
        {
            using var limited = await node.PostAsync("/auth/sign-in", new { email, password = "wrong-password-1" });
            Assert.Equal("too_many_requests", await AccountApi.ProblemCodeAsync(limited, HttpStatusCode.TooManyRequests));
        }
    }
}
