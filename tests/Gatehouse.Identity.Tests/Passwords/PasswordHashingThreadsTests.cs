using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Passwords;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Tests.Passwords;

public sealed class PasswordHashingThreadsTests
{
    private static PasswordHashingThreads Threads(int count, TimeSpan queueTimeout) =>
        new(Options.Create(new GatehouseOptions
        {
            Passwords = new PasswordOptions
            {
                Hashing = new Argon2Options { MaxConcurrent = count, QueueTimeout = queueTimeout },
            },
        }));

    private static CancellationToken Test => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Work_RunsOnAHashingThread_NotOnTheCallersThread()
    {
        using var threads = Threads(2, TimeSpan.FromSeconds(10));

        var name = await threads.RunAsync(() => Thread.CurrentThread.Name, Test);

        Assert.StartsWith("password-hashing-", name);
    }

    [Fact]
    public async Task AnExceptionOfTheWork_ReachesTheCaller()
    {
        using var threads = Threads(1, TimeSpan.FromSeconds(10));

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => threads.RunAsync<int>(() => throw new InvalidOperationException("bad hash"), Test));

        Assert.Equal("bad hash", thrown.Message);
        Assert.Equal(7, await threads.RunAsync(() => 7, Test));
    }

    [Fact]
    public async Task WorkThatWaitsPastTheQueueTimeout_FailsAsBusy_AndNeverRuns()
    {
        using var threads = Threads(1, TimeSpan.FromMilliseconds(200));
        using var release = new ManualResetEventSlim();
        var blocker = threads.RunAsync(() => release.Wait(TimeSpan.FromSeconds(30)), CancellationToken.None);
        var queuedRan = false;

        await Assert.ThrowsAsync<PasswordHasherBusyException>(() => threads.RunAsync(() => queuedRan = true, Test));

        release.Set();
        Assert.True(await blocker);
        // Work is taken in order, so once later work has run the dropped item would have run before it.
        Assert.Equal(1, await threads.RunAsync(() => 1, Test));
        Assert.False(queuedRan);
    }

    [Fact]
    public async Task WorkWhoseCallerGivesUpBeforeItStarts_IsDropped()
    {
        using var threads = Threads(1, TimeSpan.FromSeconds(10));
        using var release = new ManualResetEventSlim();
        var blocker = threads.RunAsync(() => release.Wait(TimeSpan.FromSeconds(30)), CancellationToken.None);
        using var gaveUp = CancellationTokenSource.CreateLinkedTokenSource(Test);
        var queuedRan = false;
        var queued = threads.RunAsync(() => queuedRan = true, gaveUp.Token);

        await gaveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        release.Set();
        Assert.True(await blocker);
        Assert.Equal(1, await threads.RunAsync(() => 1, Test));
        Assert.False(queuedRan);
    }

    [Fact]
    public async Task WorkAlreadyRunning_WhenTheQueueTimeoutPasses_IsWaitedFor()
    {
        using var threads = Threads(1, TimeSpan.FromMilliseconds(100));
        using var started = new ManualResetEventSlim();

        var result = await threads.RunAsync(() =>
        {
            started.Set();
            Thread.Sleep(400);
            return "finished";
        }, Test);

        Assert.True(started.IsSet);
        Assert.Equal("finished", result);
    }

    [Fact]
    public async Task WorkHandedOverAfterTheThreadsStopped_FailsAsBusy()
    {
        var threads = Threads(1, TimeSpan.FromSeconds(10));
        threads.Dispose();

        await Assert.ThrowsAsync<PasswordHasherBusyException>(() => threads.RunAsync(() => 1, Test));
    }

    [Fact]
    public async Task AsManyVerificationsRunAtOnce_AsThereAreThreads()
    {
        using var threads = Threads(3, TimeSpan.FromSeconds(10));
        var running = 0;
        var most = 0;

        await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => threads.RunAsync(() =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            Thread.Sleep(30);
            Interlocked.Decrement(ref running);
            return now;
        }, Test)));

        Assert.InRange(most, 2, 3);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
            seen = Volatile.Read(ref target);
        }
    }
}
