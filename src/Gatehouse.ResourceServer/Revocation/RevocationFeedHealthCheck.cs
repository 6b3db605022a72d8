using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Gatehouse.ResourceServer.Revocation;

/// <summary>
/// Reports the revocation feed: healthy while it is reachable; degraded while it is unreachable but
/// within the grace period; unhealthy after that, saying whether tokens are being refused (fail
/// closed) or still accepted on old information (fail open).
/// </summary>
public sealed class RevocationFeedHealthCheck(RevocationList revocations, IOptions<GatehouseResourceServerOptions> options) : IHealthCheck
{
    /// <summary>The name the check is registered under.</summary>
    public const string Name = "gatehouse-revocation-feed";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var feed = options.Value.Revocation;
        var status = revocations.Status;
        if (feed.Disabled)
        {
            return Task.FromResult(HealthCheckResult.Degraded("The revocation feed is disabled: revoked tokens stay valid until they expire."));
        }

        if (status.IsReachable)
        {
            return Task.FromResult(HealthCheckResult.Healthy($"Revocation feed reachable; {revocations.Count} revocation(s) held."));
        }

        var outage = $"Revocation feed unreachable for {status.UnreachableFor.TotalSeconds:0} s ({status.Problem})";
        if (!status.IsDown)
        {
            return Task.FromResult(HealthCheckResult.Degraded($"{outage}; within the {feed.GracePeriod.TotalSeconds:0} s grace period, tokens are accepted."));
        }

        return Task.FromResult(HealthCheckResult.Unhealthy(feed.OutageMode == FeedOutageMode.FailClosed
            ? $"{outage}; past the grace period, every token is refused (fail closed)."
            : $"{outage}; past the grace period, tokens are still accepted on old revocations (fail open)."));
    }
}
