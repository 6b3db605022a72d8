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
    IOpenIddictScopeManager scopes,
    ScopeResourceCatalog scopeResources) : IOpenIddictServerHandler<HandleTokenRequestContext>
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
            // No scope asked for: the client gets every scope it is allowed, as Auth0 and Keycloak do.
            var permissions = await applications.GetPermissionsAsync(application, context.CancellationToken);
            grantedScopes = [.. permissions
                .Where(permission => permission.StartsWith(Permissions.Prefixes.Scope, StringComparison.Ordinal))
                .Select(permission => permission[Permissions.Prefixes.Scope.Length..])];
        }

        var audiences = context.Request.GetResources();
        IReadOnlyCollection<string> resources = audiences.IsEmpty
            ? await scopeResources.GetResourcesAsync(grantedScopes, scopes, context.CancellationToken)
            : audiences;

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
    }
}
