using System.Security.Cryptography;
using Gatehouse.Identity.Data.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// Checks passwords through <see cref="UserManager{TUser}"/> (which upgrades old hashes on success).
/// For an unknown account it verifies against a dummy hash made once by the registered hasher, so the
/// answer takes as long as for a real account and reveals nothing.
/// </summary>
public sealed class PasswordVerifier(UserManager<GatehouseUser> users, DummyPasswordHash dummy)
{
    public async Task<bool> VerifyAsync(GatehouseUser? user, string password)
    {
        if (user is null || string.IsNullOrEmpty(user.PasswordHash))
        {
            users.PasswordHasher.VerifyHashedPassword(dummy.User, dummy.GetHash(users.PasswordHasher), password);
            return false;
        }

        return await users.CheckPasswordAsync(user, password);
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
