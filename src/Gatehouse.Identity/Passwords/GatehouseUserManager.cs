using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Data.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Passwords;

/// <summary>
/// ASP.NET Core Identity's user manager, with one change: when a password is right but its stored
/// hash is outdated (PBKDF2, or Argon2id below the configured cost), the hash is replaced without
/// rotating the security stamp. A stronger hash of the same password is not a new credential, so the
/// user's other sessions and tokens stay valid; Identity's own upgrade path would sign them all out.
/// A second one: a timed ban that has run out is lifted when the user is next looked up, so every path
/// that checks <see cref="GatehouseUser.Status"/> (sign-in, pages, code flow, refresh) sees an active user.
/// </summary>
public sealed partial class GatehouseUserManager(
    IUserStore<GatehouseUser> store,
    IOptions<IdentityOptions> optionsAccessor,
    IPasswordHasher<GatehouseUser> passwordHasher,
    IEnumerable<IUserValidator<GatehouseUser>> userValidators,
    IEnumerable<IPasswordValidator<GatehouseUser>> passwordValidators,
    ILookupNormalizer keyNormalizer,
    IdentityErrorDescriber errors,
    IServiceProvider services,
    ILogger<UserManager<GatehouseUser>> logger,
    TimeProvider time,
    AuditLog audit)
    : UserManager<GatehouseUser>(store, optionsAccessor, passwordHasher, userValidators, passwordValidators, keyNormalizer, errors, services, logger)
{
    public override async Task<GatehouseUser?> FindByIdAsync(string userId) => await LiftExpiredBanAsync(await base.FindByIdAsync(userId));

    public override async Task<GatehouseUser?> FindByEmailAsync(string email) => await LiftExpiredBanAsync(await base.FindByEmailAsync(email));

    private async Task<GatehouseUser?> LiftExpiredBanAsync(GatehouseUser? user)
    {
        if (user is not { Status: UserStatus.Banned, BannedUntil: not null } || user.IsBannedAt(time.GetUtcNow()))
        {
            return user;
        }

        user.Status = UserStatus.Active;
        user.BanReason = null;
        user.BannedUntil = null;
        var saved = await UpdateUserAsync(user);
        if (saved.Succeeded)
        {
            audit.Record(AuditEventTypes.AccountUnbanned, user.Id, null, null, "ban_expired");
        }

        return user;
    }

    protected override async Task<PasswordVerificationResult> VerifyPasswordAsync(IUserPasswordStore<GatehouseUser> store, GatehouseUser user, string password)
    {
        var result = await base.VerifyPasswordAsync(store, user, password);
        if (result != PasswordVerificationResult.SuccessRehashNeeded)
        {
            return result;
        }

        await ReplaceOutdatedHashAsync(user, PasswordHasher.HashPassword(user, password));
        return PasswordVerificationResult.Success;
    }

    /// <summary>
    /// Stores <paramref name="freshHash"/>, a current hash of the password the user just proved, in
    /// place of an outdated one, keeping the security stamp (and so every session) as it is.
    /// </summary>
    public async Task ReplaceOutdatedHashAsync(GatehouseUser user, string freshHash)
    {
        ThrowIfDisposed();
        await GetPasswordStore().SetPasswordHashAsync(user, freshHash, CancellationToken);
        var saved = await UpdateUserAsync(user);
        if (saved.Succeeded)
        {
            LogUpgraded(Logger, user.Id);
        }
        else
        {
            // The password was right all the same; the upgrade is tried again at the next sign-in.
            LogUpgradeFailed(Logger, user.Id, string.Join(", ", saved.Errors.Select(error => error.Code)));
        }
    }

    private IUserPasswordStore<GatehouseUser> GetPasswordStore() =>
        Store as IUserPasswordStore<GatehouseUser> ?? throw new NotSupportedException("The user store does not store passwords.");

    [LoggerMessage(EventId = 1502, Level = LogLevel.Information, Message = "Password hash of user {UserId} upgraded to the current Argon2id parameters")]
    private static partial void LogUpgraded(ILogger logger, Guid userId);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Warning, Message = "Password hash of user {UserId} could not be upgraded: {Errors}")]
    private static partial void LogUpgradeFailed(ILogger logger, Guid userId, string errors);
}
