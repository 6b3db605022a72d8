using System.Collections.Immutable;
using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// The <c>client_credentials</c> grant: a service authenticates as itself (OpenIddict has already
/// checked the secret, the grant permission and the scope permissions) and receives an access token
/// whose subject is its client id and whose audience comes from the requested resources or scopes.
/// </summary>
public sealed class ClientCredentialsGrant(
    IOpenIddictApplicationManager applications,
    ScopeResourceCatalog scopeResources,
    TokenMetrics metrics) : IOpenIddictServerHandler<HandleTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<HandleTokenRequestContext>()
            .UseScopedHandler<ClientCredentialsGrant>()
            .SetOrder(int.MinValue + 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(HandleTokenRequestContext context)
    {
        if (!context.Request.IsClientCredentialsGrantType())
        {
            return;
        }

        var clientId = context.ClientId!;
        var application = await applications.FindByClientIdAsync(clientId, context.CancellationToken)
            ?? throw new InvalidOperationException($"Client '{clientId}' vanished after it was authenticated.");

        var grantedScopes = context.Request.GetScopes();
        if (grantedScopes.IsEmpty)
        {
            grantedScopes = AllowedScopes(await applications.GetPermissionsAsync(application, context.CancellationToken));
        }

        var resources = await AudiencesAsync(grantedScopes, context.Request.GetResources(), scopeResources, context.CancellationToken);

        if (resources.Count == 0)
        {
            context.Reject(
                Errors.InvalidScope,
                "The token would have no audience: request a scope that names an API, or a resource indicator.");
            return;
        }

        var identity = new ClaimsIdentity(
            TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, clientId);
        identity.SetClaim(Claims.Name, await applications.GetDisplayNameAsync(application, context.CancellationToken) ?? clientId);
        identity.SetScopes(grantedScopes);
        identity.SetResources(resources);
        identity.SetDestinations(static _ => [Destinations.AccessToken]);

        context.SignIn(new ClaimsPrincipal(identity));
        metrics.GrantIssued(GrantTypes.ClientCredentials, TokenMetrics.StandardPath);
    }

    /// <summary>
    /// The scopes a client is granted when it asks for none: every scope it is allowed, as Auth0 and
    /// Keycloak do.
    /// </summary>
    internal static ImmutableArray<string> AllowedScopes(IEnumerable<string> permissions) =>
    [
        .. permissions
            .Where(permission => permission.StartsWith(Permissions.Prefixes.Scope, StringComparison.Ordinal))
            .Select(permission => permission[Permissions.Prefixes.Scope.Length..]),
    ];

    /// <summary>The token's audiences: the requested resource indicators, or else the granted scopes' resources.</summary>
    internal static async ValueTask<IReadOnlyCollection<string>> AudiencesAsync(
        ImmutableArray<string> grantedScopes, ImmutableArray<string> requestedResources, ScopeResourceCatalog catalog, CancellationToken cancellationToken) =>
        requestedResources.IsEmpty ? await catalog.GetResourcesAsync(grantedScopes, cancellationToken) : requestedResources;
}
