using Gatehouse.Identity.Admin.Clients;
using Gatehouse.Identity.Admin.Keys;
using Gatehouse.Identity.Admin.Audit;
using Gatehouse.Identity.Admin.Roles;
using Gatehouse.Identity.Admin.Users;
using Gatehouse.Identity.Configuration;
using Microsoft.AspNetCore.Authorization;
using OpenIddict.Abstractions;
using OpenIddict.Validation.AspNetCore;

namespace Gatehouse.Identity.Admin;

/// <summary>
/// The admin API under <c>/admin</c>, for other services and the admin console. Every area requires an
/// access token for the identity service (audience <c>gatehouse</c>) carrying the area's scope or
/// <see cref="AdminScopes.All"/>; there is no other way in.
/// </summary>
public static class AdminApi
{
    public const string DocumentName = "admin";

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin")
            .WithGroupName(DocumentName)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        // Each area maps its endpoints on a sub-group guarded by its scope, one line per area.
        admin.MapGroup("/clients").RequireAdminScope(AdminScopes.Clients).MapAdminClients();
        admin.MapGroup("/keys").RequireAdminScope(AdminScopes.Keys).MapAdminKeys();
        admin.MapGroup("/users").RequireAdminScope(AdminScopes.Users).MapAdminUsers();
        admin.MapGroup("/roles").RequireAdminScope(AdminScopes.Users).MapAdminRoles();
        admin.MapGroup("/audit").RequireAdminScope(AdminScopes.Audit).MapAdminAudit();
        return app;
    }

    /// <summary>
    /// Requires a valid access token for the identity service with <paramref name="scope"/> or
    /// <see cref="AdminScopes.All"/>.
    /// </summary>
    public static TBuilder RequireAdminScope<TBuilder>(this TBuilder builder, string scope)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy => AdminPolicy(policy, scope));

    private static void AdminPolicy(AuthorizationPolicyBuilder policy, string scope) =>
        policy.AddAuthenticationSchemes(OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(context => context.User.HasScope(scope) || context.User.HasScope(AdminScopes.All));
}
