using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Gatehouse.Identity.Codes;

/// <summary>The embedded default: codes in this process's memory, swept of expired entries as it goes.</summary>
public sealed class MemoryVerificationCodeStore(TimeProvider time) : IVerificationCodeStore
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, StoredCode> _codes = new(StringComparer.Ordinal);
    private long _nextSweepTicks;

    public Task PutAsync(string key, StoredCode code, CancellationToken cancellationToken)
    {
        SweepIfDue();
        _codes[key] = code;
        return Task.CompletedTask;
    }

    public Task<CodeAttempt> CountAttemptAsync(string key, int maxAttempts, DateTimeOffset now, CancellationToken cancellationToken)
    {
        while (_codes.TryGetValue(key, out var code))
        {
            if (code.ExpiresAt <= now)
            {
                _codes.TryRemove(new KeyValuePair<string, StoredCode>(key, code));
                return Task.FromResult(new CodeAttempt(AttemptStatus.None));
            }

            if (code.Attempts >= maxAttempts)
            {
                return Task.FromResult(new CodeAttempt(AttemptStatus.Exhausted));
            }

            // Compare-and-swap on the whole record: a concurrent attempt or a new code makes this retry.
            if (_codes.TryUpdate(key, code with { Attempts = code.Attempts + 1 }, code))
            {
                return Task.FromResult(new CodeAttempt(AttemptStatus.Counted, code));
            }
        }

        return Task.FromResult(new CodeAttempt(AttemptStatus.None));
    }

    public Task<bool> SpendAsync(string key, byte[] mac, CancellationToken cancellationToken)
    {
        while (_codes.TryGetValue(key, out var code))
        {
            if (!CryptographicOperations.FixedTimeEquals(code.Mac, mac))
            {
                return Task.FromResult(false);
            }

            if (_codes.TryRemove(new KeyValuePair<string, StoredCode>(key, code)))
            {
                return Task.FromResult(true);
            }
        }

        return Task.FromResult(false);
    }

    public Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
        _codes.TryRemove(key, out _);
        return Task.CompletedTask;
    }

    private void SweepIfDue()
    {
        var now = time.GetUtcNow();
        var due = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextSweepTicks, (now + SweepInterval).UtcTicks, due) != due)
        {
            return;
        }

        foreach (var entry in _codes)
        {
            if (entry.Value.ExpiresAt <= now)
            {
                _codes.TryRemove(entry);
            }
        }
    }
}
