using System.Diagnostics.Metrics;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// Counters of the token endpoint and of the account API's access tokens, on the <c>Gatehouse.Identity</c> meter (exported with the other
/// <c>Gatehouse.*</c> meters when OpenTelemetry is configured; readable with <c>dotnet-counters</c>).
/// </summary>
public sealed class TokenMetrics
{
    public const string MeterName = "Gatehouse.Identity";

    /// <summary>The counter of access tokens issued by the token endpoint.</summary>
    public const string GrantsInstrument = "gatehouse.token.grants";

    /// <summary>The counter of access tokens issued by the account API (sign-in, refresh, confirmations).</summary>
    public const string AccountTokensInstrument = "gatehouse.account.access_tokens";

    /// <summary>Tag value for tokens written directly (the client-credentials fast path, account tokens).</summary>
    public const string FastPath = "fast";

    /// <summary>Tag value for tokens issued through the OpenIddict pipeline.</summary>
    public const string StandardPath = "standard";

    private readonly Counter<long> _grants;
    private readonly Counter<long> _accountTokens;

    public TokenMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _grants = meter.CreateCounter<long>(
            GrantsInstrument, unit: "{grant}", description: "Access tokens issued by the token endpoint.");
        _accountTokens = meter.CreateCounter<long>(
            AccountTokensInstrument, unit: "{token}", description: "Access tokens issued by the account API.");
    }

    public void GrantIssued(string grantType, string path) =>
        _grants.Add(1, new KeyValuePair<string, object?>("grant_type", grantType), new KeyValuePair<string, object?>("path", path));

    public void AccountTokenIssued(string path) =>
        _accountTokens.Add(1, new KeyValuePair<string, object?>("path", path));
}
