using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data.Users;
using Geralt;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Passwords;

/// <summary>
/// Argon2id through libsodium (Geralt), stored in libsodium's encoded form
/// (<c>$argon2id$v=19$m=19456,t=2,p=1$salt$hash</c>), which carries its own parameters. Verification
/// is libsodium's, in constant time. Hashes made with weaker parameters than configured, and ASP.NET
/// Core Identity's PBKDF2 hashes (formats V2 and V3), verify as <see cref="PasswordVerificationResult.SuccessRehashNeeded"/>,
/// so <see cref="UserManager{TUser}"/> stores a fresh Argon2id hash at the next sign-in.
/// </summary>
/// <remarks>
/// Each hash holds <see cref="Argon2Options.MemoryKiB"/> of memory while it runs; at most
/// <see cref="Argon2Options.MaxConcurrent"/> run at once and the rest wait, so a flood of sign-ins
/// costs time, not all of the machine's memory.
/// </remarks>
public sealed partial class Argon2PasswordHasher : IPasswordHasher<GatehouseUser>, IDisposable
{
    private const string Prefix = "$argon2id$";

    /// <summary>
    /// Longest presented password that is hashed at all, in UTF-16 units: well past the longest the policy
    /// allows (4096 code points, before normalisation), so a megabyte posted to sign-in costs nothing.
    /// </summary>
    internal const int MaxPresentedLength = 32 * 1024;

    private readonly Argon2Options _settings;
    private readonly SemaphoreSlim _slots;

    /// <summary>The hashing slots; tests hold them to see what happens when all are busy.</summary>
    internal SemaphoreSlim Slots => _slots;
    private readonly PasswordHasher<GatehouseUser> _pbkdf2 = new();

    public Argon2PasswordHasher(IOptions<GatehouseOptions> options)
    {
        _settings = options.Value.Passwords.Hashing;
        _slots = new SemaphoreSlim(_settings.MaxConcurrent, _settings.MaxConcurrent);
    }

    public string HashPassword(GatehouseUser user, string password)
    {
        var secret = PasswordText.ToUtf8(password);
        try
        {
            Span<char> encoded = stackalloc char[Argon2id.HashSize];
            using (TakeSlot())
            {
                Argon2id.ComputeHash(encoded, secret, _settings.Iterations, _settings.MemoryKiB * 1024);
            }

            return new string(encoded.TrimEnd('\0'));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    public PasswordVerificationResult VerifyHashedPassword(GatehouseUser user, string hashedPassword, string providedPassword)
    {
        if (string.IsNullOrEmpty(hashedPassword) || providedPassword.Length > MaxPresentedLength)
        {
            return PasswordVerificationResult.Failed;
        }

        return hashedPassword.StartsWith(Prefix, StringComparison.Ordinal)
            ? VerifyArgon2(hashedPassword, providedPassword)
            : VerifyPbkdf2(user, hashedPassword, providedPassword);
    }

    /// <summary>Reads the memory (KiB), iterations and lanes an encoded Argon2id hash was made with.</summary>
    internal static bool TryReadParameters(string encoded, out int memoryKiB, out int iterations, out int lanes)
    {
        var match = Parameters().Match(encoded);
        memoryKiB = iterations = lanes = 0;
        return match.Success
               && int.TryParse(match.Groups["m"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out memoryKiB)
               && int.TryParse(match.Groups["t"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out iterations)
               && int.TryParse(match.Groups["p"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out lanes);
    }

    private PasswordVerificationResult VerifyArgon2(string hashedPassword, string providedPassword)
    {
        if (!TryReadParameters(hashedPassword, out var memoryKiB, out var iterations, out _)
            || hashedPassword.Length >= Argon2id.HashSize
            || memoryKiB > 4 * 1024 * 1024)
        {
            return PasswordVerificationResult.Failed;
        }

        var secret = PasswordText.ToUtf8(providedPassword);
        try
        {
            bool valid;
            using (TakeSlot())
            {
                valid = Argon2id.VerifyHash(hashedPassword, secret);
            }

            if (!valid)
            {
                return PasswordVerificationResult.Failed;
            }

            return memoryKiB < _settings.MemoryKiB || iterations < _settings.Iterations
                ? PasswordVerificationResult.SuccessRehashNeeded
                : PasswordVerificationResult.Success;
        }
        catch (ArgumentException)
        {
            return PasswordVerificationResult.Failed;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    // Hashes from before Argon2id: ASP.NET Core Identity's PBKDF2 (V2: HMAC-SHA1, V3: HMAC-SHA256/512),
    // made from the password as typed, so they are checked against it unnormalised.
    private PasswordVerificationResult VerifyPbkdf2(GatehouseUser user, string hashedPassword, string providedPassword)
    {
        try
        {
            PasswordVerificationResult result;
            using (TakeSlot())
            {
                result = _pbkdf2.VerifyHashedPassword(user, hashedPassword, providedPassword ?? "");
            }

            return result == PasswordVerificationResult.Failed
                ? PasswordVerificationResult.Failed
                : PasswordVerificationResult.SuccessRehashNeeded;
        }
        catch (FormatException)
        {
            return PasswordVerificationResult.Failed;
        }
    }

    private Slot TakeSlot()
    {
        if (!_slots.Wait(_settings.QueueTimeout))
        {
            throw new PasswordHasherBusyException(_settings.MaxConcurrent, _settings.QueueTimeout);
        }

        return new Slot(_slots);
    }

    public void Dispose() => _slots.Dispose();

    private readonly struct Slot(SemaphoreSlim slots) : IDisposable
    {
        public void Dispose() => slots.Release();
    }

    [GeneratedRegex(@"^\$argon2id\$v=19\$m=(?<m>[0-9]{1,10}),t=(?<t>[0-9]{1,10}),p=(?<p>[0-9]{1,3})\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")]
    private static partial Regex Parameters();
}

/// <summary>
/// Every hashing slot stayed busy for the whole queue timeout: the service is overloaded. An outage,
/// not a wrong password; the account flows answer it with 503.
/// </summary>
public sealed class PasswordHasherBusyException(int maxConcurrent, TimeSpan waited)
    : Exception($"All {maxConcurrent} password hashing slots stayed busy for {waited}; the service is overloaded.");
