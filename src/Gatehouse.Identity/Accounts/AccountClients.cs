using System.Collections.Immutable;
using System.Globalization;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Connect;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Accounts;

/// <summary>A registered first-party client calling the account API, authenticated if confidential.</summary>
public sealed record AccountClient(
    string ClientId,
    IReadOnlyCollection<string> Scopes,
    IReadOnlyCollection<string> Audiences,
    TimeSpan AccessTokenLifetime);

/// <summary>
/// Who is calling the account API. Every call names its client in the <c>X-Client-Id</c> header;
/// confidential clients add <c>X-Client-Secret</c>, checked by OpenIddict's application manager (and its
/// verified-secret cache). The client needs the account-API permission, which only first-party clients get.
/// The <c>Authorization</c> header stays free for the user's own access token.
/// </summary>
public sealed class AccountClients(
    IOpenIddictApplicationManager applications,
    ScopeResourceCatalog scopeResources,
    IMemoryCache cache,
    IOptions<GatehouseOptions> options)
{
    /// <summary>A client read from the database is reused this long; a changed client applies within it.</summary>
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(30);

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

        var registered = await FindAsync(clientId, cancellationToken);
        if (registered is null)
        {
            return null;
        }

        var (application, client, confidential) = registered;

        request.Headers.TryGetValue(ClientSecretHeader, out var secrets);
        if (confidential)
        {
            if (secrets.Count != 1 || secrets[0] is not { Length: > 0 and <= 500 } secret
                || !await applications.ValidateClientSecretAsync(application, secret, cancellationToken))
            {
                return null;
            }
        }
        else if (secrets.Count > 0)
        {
            return null;
        }

        return client;
    }

    private sealed record Registered(object Application, AccountClient Client, bool Confidential);

    private async Task<Registered?> FindAsync(string clientId, CancellationToken cancellationToken)
    {
        var key = "gatehouse:account-client:" + clientId;
        if (cache.TryGetValue(key, out Registered? known))
        {
            return known;
        }

        var application = await applications.FindByClientIdAsync(clientId, cancellationToken);
        if (application is null || !await applications.HasPermissionAsync(application, AccountsApiPermission, cancellationToken))
        {
            return null;
        }

        var permissions = await applications.GetPermissionsAsync(application, cancellationToken);
        ImmutableArray<string> granted = [.. permissions
            .Where(permission => permission.StartsWith(Permissions.Prefixes.Scope, StringComparison.Ordinal))
            .Select(permission => permission[Permissions.Prefixes.Scope.Length..])];
        var audiences = await scopeResources.GetResourcesAsync(granted, cancellationToken);

        var settings = await applications.GetSettingsAsync(application, cancellationToken);
        var lifetime = settings.TryGetValue(Settings.TokenLifetimes.AccessToken, out var configured)
            && TimeSpan.TryParse(configured, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : options.Value.Tokens.AccessTokenLifetime;

        var confidential = await applications.HasClientTypeAsync(application, ClientTypes.Confidential, cancellationToken);
        var registered = new Registered(application, new AccountClient(clientId, granted, audiences, lifetime), confidential);
        cache.Set(key, registered, CacheLifetime);
        return registered;
    }
}
