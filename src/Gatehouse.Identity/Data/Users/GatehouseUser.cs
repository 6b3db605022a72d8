using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Data.Users;

/// <summary>
/// A user. Profile columns live in <c>users</c>; credential columns (password hash, security stamp,
/// credential version, lockout, two-factor) are split into <c>user_credentials</c> so that only this
/// service's credential code ever reads them.
/// </summary>
public sealed class GatehouseUser : IdentityUser<Guid>
{
    public string? DisplayName { get; set; }

    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;

    public UserStatus Status { get; set; } = UserStatus.Active;

    /// <summary>
    /// Bumped by every password change, reset and ban. Refresh-token families remember the version
    /// they were issued under and stop working once it moves on.
    /// </summary>
    public int CredentialVersion { get; set; } = 1;

    /// <summary>Why an administrator banned the user; kept while <see cref="Status"/> is banned.</summary>
    public string? BanReason { get; set; }

    /// <summary>When a ban ends by itself; null bans until an administrator lifts it.</summary>
    public DateTime? BannedUntil { get; set; }

    /// <summary>Whether a ban is in force at <paramref name="now"/> (a timed ban that has run out is not).</summary>
    public bool IsBannedAt(DateTimeOffset now) =>
        Status == UserStatus.Banned && (BannedUntil is not { } until || until > now.UtcDateTime);
}

public enum UserStatus
{
    Active = 0,
    Banned = 1,
    Deleted = 2,
}

public sealed class GatehouseRole : IdentityRole<Guid>
{
    public GatehouseRole()
    {
    }

    public GatehouseRole(string name) : base(name)
    {
    }
}

public static class Roles
{
    public const string Admin = "admin";
}
