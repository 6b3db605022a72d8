using Gatehouse.Identity.Admin.Roles;
using Gatehouse.Identity.Admin.Users;

namespace Gatehouse.Identity.Admin;

public static class AdminServices
{
    /// <summary>The services behind the admin API's users, roles, sessions and audit areas.</summary>
    public static IServiceCollection AddAdminUsers(this IServiceCollection services)
    {
        services.AddScoped<AdminUsers>();
        services.AddScoped<AdminRoles>();
        return services;
    }
}
