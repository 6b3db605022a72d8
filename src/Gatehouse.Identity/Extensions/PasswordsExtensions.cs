using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Passwords;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gatehouse.Identity.Extensions;

internal static class PasswordsExtensions
{
    /// <summary>
    /// Argon2id hashing and the password policy, in place of ASP.NET Core Identity's PBKDF2 hasher and
    /// composition rules, and a user manager that upgrades old hashes without signing the user out.
    /// Call after <c>AddIdentityCore</c>.
    /// </summary>
    public static IServiceCollection AddGatehousePasswords(this IServiceCollection services)
    {
        if (!PasswordText.NormalizationWorks())
        {
            throw new GatehouseConfigurationException([
                "Passwords are NFKC-normalised, which needs ICU: install libicu and do not set DOTNET_SYSTEM_GLOBALIZATION_INVARIANT or InvariantGlobalization.",
            ]);
        }

        services.Replace(ServiceDescriptor.Singleton<IPasswordHasher<GatehouseUser>, Argon2PasswordHasher>());
        services.TryAddSingleton<PasswordHashingThreads>();
        services.TryAddScoped<GatehouseUserManager>();
        services.Replace(ServiceDescriptor.Scoped<UserManager<GatehouseUser>>(provider => provider.GetRequiredService<GatehouseUserManager>()));
        services.RemoveAll<IPasswordValidator<GatehouseUser>>();
        services.AddScoped<IPasswordValidator<GatehouseUser>, PasswordPolicy>();
        services.AddExceptionHandler<PasswordHasherBusyHandler>();
        services.AddHttpClient<BreachedPasswordCheck>(BreachedPasswordCheck.HttpClientName, http =>
        {
            http.DefaultRequestHeaders.UserAgent.ParseAdd("Gatehouse");
            // The check's own timeout is shorter; this only bounds a misbehaving handler.
            http.Timeout = TimeSpan.FromSeconds(60);
        });
        return services;
    }
}
