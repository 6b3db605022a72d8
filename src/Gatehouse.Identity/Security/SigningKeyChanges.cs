using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Tokens;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using OpenIddict.Validation;
using StackExchange.Redis;

namespace Gatehouse.Identity.Security;

/// <summary>Tells every node that the signing keys changed, so each reloads its key ring and JWKS.</summary>
public interface ISigningKeyChanges
{
    ValueTask PublishAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Makes this node use the keys in the database: reloads <see cref="ServerKeyRing"/> and has OpenIddict
/// build its server and validation options again (they copy the keys when built), so the JWKS, new
/// tokens and token validation all follow; the client-credentials fast path and the account API's
/// directly written tokens pick up the new key too.
/// </summary>
public sealed partial class SigningKeyReload(
    IServiceScopeFactory scopes,
    ServerKeyRing ring,
    IOptionsMonitorCache<OpenIddictServerOptions> serverOptions,
    IOptionsMonitorCache<OpenIddictValidationOptions> validationOptions,
    ClientCredentialsFastPathState fastPath,
    AccountTokensFastPathState accountTokens,
    ILogger<SigningKeyReload> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using (var scope = scopes.CreateAsyncScope())
            {
                await ring.LoadAsync(scope.ServiceProvider.GetRequiredService<GatehouseDbContext>(), cancellationToken);
            }

            // The validation options read the server's keys when they are built: server first.
            serverOptions.TryRemove(Options.DefaultName);
            validationOptions.TryRemove(Options.DefaultName);
            fastPath.Reset();
            accountTokens.Reset();
            LogReloaded(logger, ring.SigningKeys[0].KeyId);
        }
        finally
        {
            _gate.Release();
        }
    }

    [LoggerMessage(EventId = 1110, Level = LogLevel.Information, Message = "Signing keys reloaded; signing with {KeyId}")]
    private static partial void LogReloaded(ILogger logger, string keyId);
}

/// <summary>One node: reloading here is all there is to do.</summary>
public sealed class LocalSigningKeyChanges(SigningKeyReload reload) : ISigningKeyChanges
{
    public async ValueTask PublishAsync(CancellationToken cancellationToken = default) => await reload.ReloadAsync(cancellationToken);
}

/// <summary>
/// Several nodes sharing Redis: the change is announced on a channel every node listens to; a node
/// whose connection to Redis comes back reloads anyway, in case it missed an announcement. If the
/// announcement fails, other nodes use the new key after their next restart.
/// </summary>
public sealed partial class RedisSigningKeyChanges(
    IConnectionMultiplexer redis, IOptions<GatehouseOptions> options, SigningKeyReload reload, ILogger<RedisSigningKeyChanges> logger)
    : RedisAnnouncements(redis, logger), ISigningKeyChanges
{
    /// <summary>The channel's name after the deployment's key prefix.</summary>
    public const string ChannelSuffix = "signing-key-changes";

    protected override RedisChannel Channel { get; } = RedisChannel.Literal(options.Value.Redis.Key(ChannelSuffix));

    public async ValueTask PublishAsync(CancellationToken cancellationToken = default)
    {
        await reload.ReloadAsync(cancellationToken);
        await AnnounceAsync("rotated");
    }

    protected override void OnAnnounced(RedisValue message) => _ = Task.Run(async () =>
    {
        try
        {
            await reload.ReloadAsync(CancellationToken.None);
        }
        catch (Exception exception)
        {
            // The database may be away for a moment; the next announcement or restart reloads.
            LogReloadFailed(logger, exception);
        }
    });

    [LoggerMessage(EventId = 1113, Level = LogLevel.Error, Message = "Could not reload the signing keys after a change on another node")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);
}
