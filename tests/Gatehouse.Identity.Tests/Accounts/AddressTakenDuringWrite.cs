using Gatehouse.Identity.Data.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Gatehouse.Identity.Tests.Accounts;

/// <summary>
/// A user validator that, once armed with an address, registers another account under it while a user
/// taking that address is being validated: after Identity's own duplicate check passed, before the row is
/// written. It makes the race of two accounts claiming one address at the same instant happen every time,
/// so the unique user-name index is what has to refuse the second one.
/// </summary>
internal sealed class AddressTakenDuringWrite : IUserValidator<GatehouseUser>
{
    public WebApplicationFactory<Program>? App { get; set; }

    public string? Address { get; set; }

    /// <summary>The account that took the address, once it has.</summary>
    public GatehouseUser? Taker { get; private set; }

    public async Task<IdentityResult> ValidateAsync(UserManager<GatehouseUser> manager, GatehouseUser user)
    {
        if (Address is { } address && user.Email == address && Taker is null)
        {
            Address = null;
            Taker = await AccountApi.CreateUserAsync(App!, address, "another-long-passphrase-1");
        }

        return IdentityResult.Success;
    }
}
