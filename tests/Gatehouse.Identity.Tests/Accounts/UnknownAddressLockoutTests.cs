using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gatehouse.Identity.Tests.Accounts;

/// <summary>
/// The lockout of addresses without an account counts like an account's: every fifth wrong password
/// locks, each lockout twice as long as the one before. In process, and in Redis when the tests have it.
/// </summary>
public sealed class UnknownAddressLockoutTests
{
    public static TheoryData<bool> Stores => TestStorage.RedisConnection is null ? new TheoryData<bool> { false } : new TheoryData<bool> { false, true };

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task EveryFifthFailure_Locks_AndEachLockoutIsTwiceAsLong(bool redis)
    {
        await using var lockout = await LockoutAsync(redis);
        var address = "nobody-" + Guid.NewGuid().ToString("N") + "@EXAMPLE.TEST";

        for (var i = 1; i < 5; i++)
        {
            Assert.Null(await lockout.Subject.RecordFailureAsync(address));
            Assert.Null(await lockout.Subject.RemainingAsync(address));
        }

        Assert.Equal(TimeSpan.FromMinutes(1), await lockout.Subject.RecordFailureAsync(address));
        Assert.Equal(TimeSpan.FromMinutes(1), await lockout.Subject.RemainingAsync(address));
        Assert.Null(await lockout.Subject.RemainingAsync("someone-else@EXAMPLE.TEST"));

        lockout.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Null(await lockout.Subject.RemainingAsync(address));
        for (var i = 1; i < 5; i++)
        {
            Assert.Null(await lockout.Subject.RecordFailureAsync(address));
        }

        Assert.Equal(TimeSpan.FromMinutes(2), await lockout.Subject.RecordFailureAsync(address));
        lockout.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromSeconds(90), await lockout.Subject.RemainingAsync(address));
    }

    [Fact]
    public async Task Failures_AreForgotten_ARetentionAfterTheLastOne()
    {
        await using var lockout = await LockoutAsync(redis: false);
        var address = "nobody@EXAMPLE.TEST";
        for (var i = 0; i < 4; i++)
        {
            await lockout.Subject.RecordFailureAsync(address);
        }

        lockout.Clock.Advance(UnknownAddressLockout.RetentionFor(new LockoutSettings()) + TimeSpan.FromSeconds(1));

        Assert.Null(await lockout.Subject.RecordFailureAsync(address));
        Assert.Equal(TimeSpan.FromDays(1), UnknownAddressLockout.RetentionFor(new LockoutSettings()));
        Assert.Equal(TimeSpan.FromDays(6), UnknownAddressLockout.RetentionFor(new LockoutSettings { MaxWait = TimeSpan.FromDays(3) }));
    }

    private static async Task<Lockout> LockoutAsync(bool redis)
    {
        var options = new GatehouseOptions();
        options.Redis.KeyPrefix = $"test:{Guid.NewGuid():N}:";
        var services = new ServiceCollection();
        ConnectionMultiplexer? connection = null;
        if (redis)
        {
            connection = await ConnectionMultiplexer.ConnectAsync(TestStorage.RedisConnection!);
            services.AddSingleton<IConnectionMultiplexer>(connection);
        }

        var clock = new ManualClock();
        var provider = services.BuildServiceProvider();
        return new Lockout(new UnknownAddressLockout(Options.Create(options), provider, clock, NullLogger<UnknownAddressLockout>.Instance), clock, provider, connection);
    }

    private sealed record Lockout(UnknownAddressLockout Subject, ManualClock Clock, ServiceProvider Provider, ConnectionMultiplexer? Connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Provider.DisposeAsync();
            if (Connection is not null)
            {
                await Connection.DisposeAsync();
            }
        }
    }
}
