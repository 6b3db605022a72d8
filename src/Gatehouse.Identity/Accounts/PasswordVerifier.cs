using System.Security.Cryptography;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Passwords;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Checks passwords with the registered hasher, on the hashing threads (<see cref="PasswordHashingThreads"/>),
/// and stores a fresh hash when the stored one is outdated. For an unknown account it verifies against
/// a dummy hash made once by the registered hasher, so the answer takes as long as for a real account
/// and reveals nothing.
/// </summary>
public sealed class PasswordVerifier(GatehouseUserManager users, DummyPasswordHash dummy, PasswordHashingThreads hashing)
{
    public async Task<bool> VerifyAsync(GatehouseUser? user, string password, CancellationToken cancellationToken = default)
    {
        var hasher = users.PasswordHasher;
        if (user?.PasswordHash is not { Length: > 0 } stored)
        {
            await hashing.RunAsync(() => hasher.VerifyHashedPassword(dummy.User, dummy.GetHash(hasher), password), cancellationToken);
            return false;
        }

        var result = await hashing.RunAsync(() => hasher.VerifyHashedPassword(user, stored, password), cancellationToken);
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            var fresh = await hashing.RunAsync(() => hasher.HashPassword(user, password), cancellationToken);
            await users.ReplaceOutdatedHashAsync(user, fresh);
        }

        return result != PasswordVerificationResult.Failed;
    }

    /// <summary>Runs every registered password validator (policy, common and breached passwords).</summary>
    public async Task<IReadOnlyList<string>> ValidateNewAsync(GatehouseUser user, string password)
    {
        var problems = new List<string>();
        foreach (var validator in users.PasswordValidators)
        {
            var result = await validator.ValidateAsync(users, user, password);
            problems.AddRange(result.Errors.Select(error => error.Description));
        }

        return problems;
    }
}

/// <summary>One hash of a random password, made on first use by whichever hasher is registered.</summary>
public sealed class DummyPasswordHash
{
    private readonly Lock _lock = new();
    private string? _hash;

    public GatehouseUser User { get; } = new() { Id = Guid.Empty, UserName = "dummy" };

    public string GetHash(IPasswordHasher<GatehouseUser> hasher)
    {
        lock (_lock)
        {
            return _hash ??= hasher.HashPassword(User, Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24)));
        }
    }
}
