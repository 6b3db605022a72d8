using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Passwords;

/// <summary>
/// The password rules, after NIST SP 800-63B: a length between the configured bounds, counted in
/// Unicode code points after NFKC normalisation; not on the common-password list; optionally not in a
/// known breach. No composition rules (digits, capitals, symbols): they make passwords harder to
/// remember, not to guess.
/// </summary>
public sealed class PasswordPolicy(IOptions<GatehouseOptions> options, BreachedPasswordCheck breached) : IPasswordValidator<GatehouseUser>
{
    public async Task<IdentityResult> ValidateAsync(UserManager<GatehouseUser> manager, GatehouseUser user, string? password)
    {
        var settings = options.Value.Passwords;
        password ??= "";
        if (!PasswordText.IsWellFormed(password))
        {
            return IdentityResult.Failed(PasswordErrors.Malformed());
        }

        var normalized = PasswordText.Normalize(password);
        var length = PasswordText.CodePoints(normalized);
        if (length < settings.MinLength)
        {
            return IdentityResult.Failed(PasswordErrors.TooShort(settings.MinLength));
        }

        if (length > settings.MaxLength)
        {
            return IdentityResult.Failed(PasswordErrors.TooLong(settings.MaxLength));
        }

        if (settings.RejectCommon && CommonPasswords.Contains(normalized))
        {
            return IdentityResult.Failed(PasswordErrors.Common());
        }

        if (settings.Breached.Enabled && await breached.IsBreachedAsync(normalized))
        {
            return IdentityResult.Failed(PasswordErrors.Breached());
        }

        return IdentityResult.Success;
    }
}
