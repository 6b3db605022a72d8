using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Memory;

namespace Gatehouse.Identity.Security;

/// <summary>
/// Remembers client secrets that recently passed the slow hash check, so a service calling the token
/// endpoint hundreds of times a second pays for PBKDF2 once, not on every call.
/// </summary>
/// <remarks>
/// Nothing reversible is kept: an entry maps the stored hash (unique per secret because of its random
/// salt) to an HMAC of the presented secret under a key that exists only in this process's memory. A
/// changed secret has a new stored hash and therefore no entry; a wrong secret never creates one.
/// </remarks>
public sealed class VerifiedSecretCache : IDisposable
{
    private static readonly MemoryCacheEntryOptions EntryOptions = new()
    {
        Size = 1,
        SlidingExpiration = TimeSpan.FromMinutes(10),
        AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1),
    };

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly MemoryCache _entries = new(new MemoryCacheOptions { SizeLimit = 10_000 });

    /// <summary>True when <paramref name="secret"/> was verified against <paramref name="storedHash"/> before.</summary>
    public bool IsKnownGood(string storedHash, string secret)
    {
        if (!_entries.TryGetValue(storedHash, out byte[]? expected) || expected is null)
        {
            return false;
        }

        Span<byte> actual = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Mac(secret, actual);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Records that <paramref name="secret"/> matched <paramref name="storedHash"/>.</summary>
    public void RememberGood(string storedHash, string secret)
    {
        var mac = new byte[HMACSHA256.HashSizeInBytes];
        Mac(secret, mac);
        _entries.Set(storedHash, mac, EntryOptions);
    }

    private void Mac(string secret, Span<byte> destination)
    {
        var bytes = Encoding.UTF8.GetBytes(secret);
        try
        {
            HMACSHA256.HashData(_key, bytes, destination);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    public void Dispose() => _entries.Dispose();
}
