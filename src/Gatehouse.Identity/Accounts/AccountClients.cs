using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Security;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Accounts;

/// <summary>A registered first-party client calling the account API, authenticated if confidential.</summary>
/// <param name="ReceivesReferenceAccessTokens">Its registration asks for opaque (reference) access tokens, which OpenIddict stores.</param>
public sealed record AccountClient(
    string ClientId,
    IReadOnlyCollection<string> Scopes,
    IReadOnlyCollection<string> Audiences,
    TimeSpan AccessTokenLifetime,
    bool ReceivesReferenceAccessTokens = false);

/// <summary>
/// Who is calling the account API. Every call names its client in the <c>X-Client-Id</c> header;
/// confidential clients add <c>X-Client-Secret</c>. The client needs the account-API permission, which
/// only first-party clients get. Clients come from <see cref="ClientRegistrationCache"/>, which every
/// node empties when a client changes; a secret already verified once is recognised by
/// <see cref="VerifiedSecretCache"/>, and any other goes to OpenIddict's application manager.
/// The <c>Authorization</c> header stays free for the user's own access token.
/// </summary>
public sealed class AccountClients(
    IOpenIddictApplicationManager applications,
    ClientRegistrationCache registrations,
    VerifiedSecretCache verifiedSecrets,
    ScopeResourceCatalog scopeResources,
    IOptions<GatehouseOptions> options)
{
    public const string ClientIdHeader = "X-Client-Id";
    public const string ClientSecretHeader = "X-Client-Secret";

    /// <summary>The OpenIddict permission that lets a client call <c>/auth/*</c>.</summary>
    public const string AccountsApiPermission = Permissions.Prefixes.Endpoint + "gatehouse_accounts";

    public async Task<AccountClient?> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.Headers.TryGetValue(ClientIdHeader, out var ids) || ids.Count != 1 || ids[0] is not { Length: > 0 and <= 100 } clientId)
        {
            return null;
        }

        var registration = await registrations.GetAsync(clientId, cancellationToken);
        if (registration is null || !registration.Permissions.Contains(AccountsApiPermission))
        {
            return null;
        }

        request.Headers.TryGetValue(ClientSecretHeader, out var secrets);
        if (registration.IsConfidential)
        {
            if (secrets.Count != 1 || secrets[0] is not { Length: > 0 and <= 500 } secret
                || !await IsRightSecretAsync(registration, secret, cancellationToken))
            {
                return null;
            }
        }
        else if (secrets.Count > 0)
        {
            return null;
        }

        // The account API signs in any user; admin scopes come only through the authorization code
        // flow, where the user's admin role is checked.
        var scopes = registration.AllowedScopes.Where(scope => !AdminScopes.IsAdminScope(scope)).ToArray();
        var audiences = await scopeResources.GetResourcesAsync([.. scopes], cancellationToken);
        return new AccountClient(clientId, scopes, audiences,
            registration.AccessTokenLifetime ?? options.Value.Tokens.AccessTokenLifetime, registration.ReceivesReferenceAccessTokens);
    }

    private async ValueTask<bool> IsRightSecretAsync(CachedClient registration, string secret, CancellationToken cancellationToken)
    {
        if (registration.SecretHash is { } hash && verifiedSecrets.IsKnownGood(hash, secret))
        {
            return true;
        }

        // First sight of this secret (or a wrong one): the application manager checks the stored hash and remembers a good one.
        var application = await applications.FindByClientIdAsync(registration.ClientId, cancellationToken);
        return application is not null && await applications.ValidateClientSecretAsync(application, secret, cancellationToken);
    }
}
