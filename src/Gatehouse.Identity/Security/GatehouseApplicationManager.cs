using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;

namespace Gatehouse.Identity.Security;

/// <summary>
/// OpenIddict's application manager with client-secret verification served from
/// <see cref="VerifiedSecretCache"/> once a secret has passed the full hash check.
/// </summary>
public sealed class GatehouseApplicationManager<TApplication>(
    IOpenIddictApplicationCache<TApplication> cache,
    ILogger<OpenIddictApplicationManager<TApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<TApplication> store,
    VerifiedSecretCache verifiedSecrets)
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
}
