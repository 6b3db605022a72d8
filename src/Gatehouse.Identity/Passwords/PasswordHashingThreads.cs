using System.Collections.Concurrent;
using Gatehouse.Identity.Configuration;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Passwords;

/// <summary>
/// A few long-lived threads of their own for password verification, one per hashing slot. An
/// Argon2id verification keeps a core busy for about 20 ms; run on a request thread it blocks a
/// thread-pool worker for that long, and the requests queued behind it spin and block on the hashing
/// slots. Here the request hands the work over and awaits it, so thread-pool workers never block and
/// the hashing threads take one verification after another.
/// </summary>
/// <remarks>
/// The work still goes through the registered hasher, which takes its slot as before, so the cap on
/// concurrent hashes holds for these threads and for hashes made on request threads alike. Work that
/// has waited <see cref="Argon2Options.QueueTimeout"/> without starting fails with
/// <see cref="PasswordHasherBusyException"/>; work whose caller gave up before it started is dropped.
/// </remarks>
public sealed class PasswordHashingThreads : IDisposable
{
    private readonly BlockingCollection<WorkItem> _queue = new(new ConcurrentQueue<WorkItem>());
    private readonly Argon2Options _settings;
    private readonly Thread[] _threads;

    public PasswordHashingThreads(IOptions<GatehouseOptions> options)
    {
        _settings = options.Value.Passwords.Hashing;
        _threads = new Thread[_settings.MaxConcurrent];
        for (var i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"password-hashing-{i + 1}" };
            _threads[i].Start();
        }
    }

    /// <summary>Runs <paramref name="work"/> on a hashing thread and completes with its result.</summary>
    public async Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var item = new WorkItem<T>(work);
        try
        {
            _queue.Add(item, CancellationToken.None);
        }
        catch (Exception exception) when (exception is InvalidOperationException or ObjectDisposedException)
        {
            // The service is stopping and no hashing thread will take it: an outage (503), not a 500.
            throw new PasswordHasherBusyException(_settings.MaxConcurrent, TimeSpan.Zero);
        }

        try
        {
            return await item.Result.WaitAsync(_settings.QueueTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (item.Abandon())
        {
            throw new PasswordHasherBusyException(_settings.MaxConcurrent, _settings.QueueTimeout);
        }
        catch (OperationCanceledException) when (item.Abandon())
        {
            throw;
        }
        catch (Exception exception) when (exception is TimeoutException or OperationCanceledException)
        {
            // It started before the caller gave up: it finishes within one hash, so wait for it.
            return await item.Result.ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }

        _queue.Dispose();
    }

    private void Work()
    {
        foreach (var item in _queue.GetConsumingEnumerable())
        {
            if (item.Start())
            {
                item.Run();
            }
        }
    }

    private abstract class WorkItem
    {
        private const int Waiting = 0, Started = 1, Abandoned = 2;
        private int _state;

        /// <summary>Claims the item for a hashing thread; false when its caller gave up first.</summary>
        public bool Start() => Interlocked.CompareExchange(ref _state, Started, Waiting) == Waiting;

        /// <summary>Gives the item up; false when a hashing thread has already started it.</summary>
        public bool Abandon() => Interlocked.CompareExchange(ref _state, Abandoned, Waiting) == Waiting;

        public abstract void Run();
    }

    private sealed class WorkItem<T>(Func<T> work) : WorkItem
    {
        private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Result => _result.Task;

        public override void Run()
        {
            try
            {
                _result.SetResult(work());
            }
            catch (Exception exception)
            {
                _result.SetException(exception);
            }
        }
    }
}
