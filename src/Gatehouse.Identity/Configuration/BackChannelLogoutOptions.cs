namespace Gatehouse.Identity.Configuration;

/// <summary>
/// <c>Gatehouse:BackChannelLogout</c>: how logout notices reach clients that registered a
/// back-channel logout URI. Each is stored, sent in the background and retried with a doubling delay
/// until the client accepts it or <see cref="GiveUpAfter"/> has passed.
/// </summary>
public sealed class BackChannelLogoutOptions
{
    public const string Section = "BackChannelLogout";

    /// <summary>How long one attempt may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The wait after the first failed attempt; it doubles after each further one.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A notice not delivered this long after the logout is dropped, with an error in the log.</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often each node looks for notices that are due (a new notice is sent at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);
}
