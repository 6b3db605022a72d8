using Gatehouse.Identity.Connect;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;

namespace Gatehouse.Identity.Security;

/// <summary>
/// OpenIddict's application manager with client-secret verification served from
/// <see cref="VerifiedSecretCache"/> once a secret has passed the full hash check, and every change
/// to an application announced through <see cref="IClientRegistrationChanges"/>, so that no node
/// keeps serving a cached copy of the old registration.
/// </summary>
public sealed class GatehouseApplicationManager<TApplication>(
    IOpenIddictApplicationCache<TApplication> cache,
    ILogger<OpenIddictApplicationManager<TApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<TApplication> store,
    VerifiedSecretCache verifiedSecrets,
    IClientRegistrationChanges changes)
    : OpenIddictApplicationManager<TApplication>(cache, logger, options, store)
    where TApplication : class
{
    protected override async ValueTask<bool> ValidateClientSecretAsync(string secret, string comparand, CancellationToken cancellationToken = default)
    {
        if (verifiedSecrets.IsKnownGood(comparand, secret))
        {
            return true;
        }

        if (!await base.ValidateClientSecretAsync(secret, comparand, cancellationToken))
        {
            return false;
        }

        verifiedSecrets.RememberGood(comparand, secret);
        return true;
    }

    public override async ValueTask CreateAsync(TApplication application, CancellationToken cancellationToken = default)
    {
        await base.CreateAsync(application, cancellationToken);
        await AnnounceAsync(application, cancellationToken);
    }

    public override async ValueTask UpdateAsync(TApplication application, CancellationToken cancellationToken = default)
    {
        await base.UpdateAsync(application, cancellationToken);
        await AnnounceAsync(application, cancellationToken);
    }

    public override async ValueTask DeleteAsync(TApplication application, CancellationToken cancellationToken = default)
    {
        var clientId = await Store.GetClientIdAsync(application, cancellationToken);
        await base.DeleteAsync(application, cancellationToken);
        if (!string.IsNullOrEmpty(clientId))
        {
            await changes.PublishAsync(clientId, cancellationToken);
        }
    }

    private async ValueTask AnnounceAsync(TApplication application, CancellationToken cancellationToken)
    {
        if (await Store.GetClientIdAsync(application, cancellationToken) is { Length: > 0 } clientId)
        {
            await changes.PublishAsync(clientId, cancellationToken);
        }
    }
}
