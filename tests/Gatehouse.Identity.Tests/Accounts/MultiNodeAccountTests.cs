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
        var codes = await AfterWrongPasswordsOnTwoNodesAsync(settings, failures: 4, HttpStatusCode.TooManyRequests);

        Assert.Equal(["too_many_requests", "too_many_requests"], codes);
    }

    [Fact]
    public async Task LockoutOfAnAddressWithoutAccount_HoldsAcrossNodes_WhenRedisIsConfigured()
    {
        Assert.SkipUnless(TestStorage.UsesRealServers && TestStorage.RedisConnection is not null,
            "the embedded default counts in-process; run through test.sh for Redis");

        var settings = new Dictionary<string, string?> { ["Gatehouse:Redis:KeyPrefix"] = $"test:{Guid.NewGuid():N}:" };
        var codes = await AfterWrongPasswordsOnTwoNodesAsync(settings, failures: 5, HttpStatusCode.Forbidden);

        Assert.Equal(["account_locked", "account_locked"], codes);
    }

    /// <summary>
    /// Two nodes on one database with <paramref name="settings"/>: wrong passwords for one address
    /// without an account, alternating between the nodes and each answered 401, then one more sign-in
    /// on each node; the problem codes of those two, which must have <paramref name="status"/>.
    /// </summary>
    private static async Task<List<string>> AfterWrongPasswordsOnTwoNodesAsync(Dictionary<string, string?> settings, int failures, HttpStatusCode status)
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var first = new GatehouseApp(storage, settings);
        _ = first.Server;
        await using var second = new GatehouseApp(storage, settings);
        var nodes = new[] { new AccountApi(first.CreateClient()), new AccountApi(second.CreateClient()) };
        var email = AccountApi.NewEmail();

        for (var i = 0; i < failures; i++)
        {
            using var wrong = await nodes[i % 2].PostAsync("/auth/sign-in", new { email, password = "wrong-password-1" });
            Assert.Equal("invalid_credentials", await AccountApi.ProblemCodeAsync(wrong, HttpStatusCode.Unauthorized));
        }

        var codes = new List<string>();
        foreach (var node in nodes)
        {
            using var last = await node.PostAsync("/auth/sign-in", new { email, password = Password });
            codes.Add(await AccountApi.ProblemCodeAsync(last, status));
        }

        return codes;
    }
}
