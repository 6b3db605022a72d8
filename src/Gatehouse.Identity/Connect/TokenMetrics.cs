using System.Diagnostics.Metrics;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// Counters of the token endpoint, on the <c>Gatehouse.Identity</c> meter (exported with the other
/// <c>Gatehouse.*</c> meters when OpenTelemetry is configured; readable with <c>dotnet-counters</c>).
/// </summary>
public sealed class TokenMetrics
{
    public const string MeterName = "Gatehouse.Identity";

    /// <summary>Tag value for grants issued by the client-credentials fast path.</summary>
    public const string FastPath = "fast";

    /// <summary>Tag value for grants issued through the OpenIddict pipeline.</summary>
    public const string StandardPath = "standard";

    private readonly Counter<long> _grants;

    public TokenMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _grants = meter.CreateCounter<long>(
            "gatehouse.token.grants", unit: "{grant}", description: "Access tokens issued by the token endpoint.");
    }

    public void GrantIssued(string grantType, string path) =>
        _grants.Add(1, new KeyValuePair<string, object?>("grant_type", grantType), new KeyValuePair<string, object?>("path", path));
}
