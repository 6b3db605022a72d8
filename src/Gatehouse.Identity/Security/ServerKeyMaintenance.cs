using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Security;

/// <summary>
/// Keeps each node's key ring in line with the database on its own, without depending on
/// announcements or restarts. Every <see cref="KeyOptions.CheckInterval"/> (with a little jitter, so
/// nodes started together do not check together) it compares the loaded ring with the stored keys:
/// when a key is due for rotation it rotates and announces the change to the other nodes; when the
/// ring is merely stale (another node rotated and its announcement was lost, or a retired key's
/// retention has ended) it reloads.
/// </summary>
/// <remarks>
/// Nodes that find a rotation due at the same moment may each create a key; as at start-up, the
/// newest wins at the next check and the others are retired, still published for their retention.
/// </remarks>
public sealed partial class ServerKeyMaintenance(
    IServiceScopeFactory scopes,
    ServerKeyRing ring,
    SigningKeyReload reload,
    ISigningKeyChanges changes,
    IOptions<GatehouseOptions> options,
    ILogger<ServerKeyMaintenance> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Keys.CheckInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(interval * (0.9 + Random.Shared.NextDouble() * 0.2), stoppingToken);
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // The database may be away for a moment; the next check tries again.
                LogCheckFailed(logger, exception);
            }
        }
    }

    /// <summary>One comparison, and the rotation or reload it calls for.</summary>
    public async Task<KeyRingState> CheckAsync(CancellationToken cancellationToken)
    {
        if (!ring.IsLoaded)
        {
            return KeyRingState.Current;
        }

        KeyRingState state;
        await using (var scope = scopes.CreateAsyncScope())
        {
            state = await ring.CompareAsync(scope.ServiceProvider.GetRequiredService<GatehouseDbContext>(), cancellationToken);
        }

        switch (state)
        {
            case KeyRingState.RotationDue:
                // Loading carries out the rotation; publishing loads here and tells the other nodes.
                await changes.PublishAsync(cancellationToken);
                LogRotated(logger, ring.SigningKeys[0].KeyId);
                break;
            case KeyRingState.Stale:
                await reload.ReloadAsync(cancellationToken);
                break;
        }

        return state;
    }

    [LoggerMessage(EventId = 1114, Level = LogLevel.Warning, Message = "Server keys reached their rotation period and were rotated; signing with {KeyId}")]
    private static partial void LogRotated(ILogger logger, string keyId);

    [LoggerMessage(EventId = 1115, Level = LogLevel.Error, Message = "Could not compare the server keys with the database")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);
}
