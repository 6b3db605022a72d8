using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Data.Users;

/// <summary>
/// A user. Profile columns live in <c>users</c>; credential columns (password hash, security stamp,
/// lockout, two-factor) are split into <c>user_credentials</c> so that only this service's credential
/// code ever reads them.
/// </summary>
public sealed class GatehouseUser : IdentityUser<Guid>
{
    public string? DisplayName { get; set; }

    public DateTime CreatedAt { get; set; } = DateTime.UtcNow;
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
