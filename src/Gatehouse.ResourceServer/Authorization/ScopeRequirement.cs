using Gatehouse.ResourceServer.Tokens;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Builder;

namespace Gatehouse.ResourceServer.Authorization;

/// <summary>The access token must grant every one of <see cref="Scopes"/>.</summary>
/// <param name="scopes">Scopes that must all be present.</param>
public sealed class ScopeRequirement(params string[] scopes) : AuthorizationHandler<ScopeRequirement>, IAuthorizationRequirement
{
    /// <summary>The scopes required.</summary>
    public IReadOnlyList<string> Scopes { get; } = scopes.Length > 0
        ? scopes
        : throw new ArgumentException("Name at least one scope.", nameof(scopes));

    /// <inheritdoc />
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (requirement.Scopes.All(context.User.HasScope))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => $"{nameof(ScopeRequirement)}: scope {string.Join(" and ", Scopes)}";
}

/// <summary>
/// For MVC controllers and actions: the caller's access token must grant every listed scope,
/// e.g. <c>[RequireScope("images:read")]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true)]
public sealed class RequireScopeAttribute(params string[] scopes) : AuthorizeAttribute, IAuthorizationRequirementData
{
    /// <summary>The scopes required.</summary>
    public IReadOnlyList<string> Scopes { get; } = scopes;

    /// <inheritdoc />
    public IEnumerable<IAuthorizationRequirement> GetRequirements() => [new ScopeRequirement([.. Scopes])];
}

/// <summary>
/// For MVC controllers and actions: the caller's access token must carry one of the listed roles
/// (the <c>role</c> claim), e.g. <c>[RequireRole("admin")]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true)]
public sealed class RequireRoleAttribute(params string[] roles) : AuthorizeAttribute, IAuthorizationRequirementData
{
    /// <summary>The roles accepted (any one of them).</summary>
    public IReadOnlyList<string> AcceptedRoles { get; } = roles;

    /// <inheritdoc />
    public IEnumerable<IAuthorizationRequirement> GetRequirements() => [new RolesAuthorizationRequirement(AcceptedRoles)];
}

/// <summary>Scope and role policies for minimal APIs and policy builders.</summary>
public static class GatehouseAuthorizationExtensions
{
    /// <summary>The endpoint needs an access token granting every one of <paramref name="scopes"/>.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, params string[] scopes) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy => policy.RequireScope(scopes));

    /// <summary>The endpoint needs an access token carrying one of <paramref name="roles"/>.</summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, params string[] roles) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(policy => policy
            .AddAuthenticationSchemes(GatehouseResourceServerDefaults.AuthenticationScheme)
            .RequireAuthenticatedUser()
            .RequireRole(roles));

    /// <summary>The policy needs an access token granting every one of <paramref name="scopes"/>.</summary>
    public static AuthorizationPolicyBuilder RequireScope(this AuthorizationPolicyBuilder policy, params string[] scopes) =>
        policy.AddAuthenticationSchemes(GatehouseResourceServerDefaults.AuthenticationScheme)
            .RequireAuthenticatedUser()
            .AddRequirements(new ScopeRequirement(scopes));
}
