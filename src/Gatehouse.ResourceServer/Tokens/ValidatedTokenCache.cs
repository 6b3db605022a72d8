using System.Collections.Concurrent;

namespace Gatehouse.ResourceServer.Tokens;

/// <summary>
/// Tokens already validated, keyed by the exact token text and kept until they expire, so a token
/// presented again costs one dictionary lookup instead of a signature check. Bounded: when full,
/// expired entries are swept, and if that frees nothing the cache starts over.
/// </summary>
internal sealed class ValidatedTokenCache(int capacity)
{
    private readonly ConcurrentDictionary<string, ValidatedAccessToken> _entries = new(StringComparer.Ordinal);
    private int _count;

    public bool TryGet(string token, long now, out ValidatedAccessToken validated)
    {
        if (_entries.TryGetValue(token, out validated!) && validated.ExpiresAt > now)
        {
            return true;
        }

        validated = null!;
        return false;
    }

    public void Add(string token, ValidatedAccessToken validated, long now)
    {
        if (capacity <= 0)
        {
            return;
        }

        if (Volatile.Read(ref _count) >= capacity)
        {
            Sweep(now);
            if (Volatile.Read(ref _count) >= capacity)
            {
                Clear();
            }
        }

        if (_entries.TryAdd(token, validated))
        {
            Interlocked.Increment(ref _count);
        }
    }

    public void Clear()
    {
        _entries.Clear();
        Volatile.Write(ref _count, 0);
    }

    private void Sweep(long now)
    {
        foreach (var (token, validated) in _entries)
        {
            if (validated.ExpiresAt <= now && _entries.TryRemove(token, out _))
            {
                Interlocked.Decrement(ref _count);
            }
        }
    }
}
