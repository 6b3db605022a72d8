namespace Gatehouse.ResourceServer;

/// <summary>
/// Settings of the resource-server kit. Only <see cref="Authority"/> and <see cref="Audience"/> are
/// required; everything else has a safe default. Checked when the host starts: a bad value stops it
/// with a sentence that names the setting.
/// </summary>
public sealed class GatehouseResourceServerOptions
{
    /// <summary>The configuration section the sample hosts bind these settings from.</summary>
    public const string Section = "Gatehouse:ResourceServer";

    /// <summary>
    /// The identity service's issuer, for example <c>https://id.example.com/</c>. Discovery is read
    /// from it, and a token's <c>iss</c> must equal the issuer discovery announces.
    /// </summary>
    public Uri? Authority { get; set; }

    /// <summary>This service's audience: a token is accepted only when its <c>aud</c> contains it.</summary>
    public string? Audience { get; set; }

    /// <summary>Refuse an authority reached over plain HTTP. Off only for local development and tests.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Tolerance for clock differences when checking <c>exp</c> and <c>nbf</c> (at most five minutes).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Signature algorithms a token may use. Only asymmetric algorithms may be listed: a symmetric
    /// one would let anyone holding the public key forge tokens.
    /// </summary>
    public IList<string> AllowedAlgorithms { get; set; } = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];

    /// <summary>How often the signing keys are read again even when no unknown key was seen.</summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The shortest time between two key reads caused by a token with an unknown <c>kid</c>, so that
    /// a flood of tokens with made-up key ids cannot turn into a flood of requests to the authority.
    /// </summary>
    public TimeSpan UnknownKeyRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many validated tokens are remembered (until they expire) so that a token presented again
    /// costs a lookup instead of a signature check. 0 turns the cache off.
    /// </summary>
    public int ValidatedTokenCacheSize { get; set; } = 10_000;

    /// <summary>How revocations reach this service.</summary>
    public RevocationFeedOptions Revocation { get; set; } = new();

    /// <summary>
    /// The handler used to reach the authority (discovery, keys, token endpoint, revocation feed).
    /// Unset, an ordinary <see cref="HttpClientHandler"/> is used.
    /// </summary>
    public HttpMessageHandler? BackchannelHandler { get; set; }
}

/// <summary>Where revocation events come from, and what happens when they stop coming.</summary>
public sealed class RevocationFeedOptions
{
    /// <summary>
    /// A Redis configuration string (the identity service's Redis). Set, events arrive through Redis
    /// pub/sub and late joiners catch up from the Redis stream; unset, the HTTP feed is used.
    /// </summary>
    public string? RedisConnection { get; set; }

    /// <summary>
    /// Prefix of the Redis stream and channel the revocations are read from; must equal the identity
    /// service's <c>Gatehouse:Redis:KeyPrefix</c>. Default <c>gatehouse:</c>, the identity service's default.
    /// </summary>
    public string RedisKeyPrefix { get; set; } = ResourceServer.RedisKeyPrefix.Default;

    /// <summary>
    /// Client id this service uses to read the HTTP feed (client credentials with the
    /// <c>gatehouse:revocations</c> scope). Needed when <see cref="RedisConnection"/> is unset.
    /// </summary>
    public string? ClientId { get; set; }

    /// <summary>The secret of <see cref="ClientId"/>.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>
    /// Turns the feed off. Revoked tokens then stay valid until they expire; only for services that
    /// accept that, never the default.
    /// </summary>
    public bool Disabled { get; set; }

    /// <summary>What to do once the feed has been unreachable for longer than <see cref="GracePeriod"/>.</summary>
    public FeedOutageMode OutageMode { get; set; } = FeedOutageMode.FailClosed;

    /// <summary>
    /// How long tokens are still accepted while the feed is unreachable, on what was received before.
    /// Default 30 seconds.
    /// </summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one long-poll of the HTTP feed waits for news (the server caps it at 30 s).</summary>
    public TimeSpan PollWait { get; set; } = TimeSpan.FromSeconds(20);
}

/// <summary>The rule followed when the revocation feed has been unreachable for longer than the grace period.</summary>
public enum FeedOutageMode
{
    /// <summary>Refuse every token (503) until the feed is back: a revoked token can never slip through.</summary>
    FailClosed,

    /// <summary>Keep accepting tokens on the revocations already received; the health check still reports the outage.</summary>
    FailOpen,
}
