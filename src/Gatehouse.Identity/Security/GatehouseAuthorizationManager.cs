using Gatehouse.Identity.Revocation;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;

namespace Gatehouse.Identity.Security;

/// <summary>
/// OpenIddict's authorization manager, announcing every revoked authorization (a replayed code or
/// refresh token, a changed user, an ended browser session, a withdrawn consent) on the revocation
/// feed, so resource servers refuse the access tokens issued under it at once.
/// </summary>
public sealed class GatehouseAuthorizationManager<TAuthorization>(
    IOpenIddictAuthorizationCache<TAuthorization> cache,
    ILogger<OpenIddictAuthorizationManager<TAuthorization>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictAuthorizationStore<TAuthorization> store,
    SessionRevocations sessions)
    : OpenIddictAuthorizationManager<TAuthorization>(cache, logger, options, store)
    where TAuthorization : class
{
    public const string RevokedReason = "grant_revoked";

    public override async ValueTask<bool> TryRevokeAsync(TAuthorization authorization, CancellationToken cancellationToken = default)
    {
        if (!await base.TryRevokeAsync(authorization, cancellationToken))
        {
            return false;
        }

        if (await Store.GetIdAsync(authorization, cancellationToken) is { Length: > 0 } id)
        {
            await sessions.PublishAsync(id, RevokedReason, cancellationToken);
        }

        return true;
    }
}
