using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gatehouse.ResourceServer.Revocation;

/// <summary>
/// One revocation announced by the identity service: one access token (by <c>jti</c>), every token of
/// a subject issued before a cut-off time (logout everywhere, password change, ban, deletion), or every
/// token of one sign-in (by its <c>sid</c> claim: a replayed code or refresh token, a logout, a revoked
/// session). The identity service publishes these; every resource server applies them. Versioned: a
/// reader ignores an event whose <see cref="Version"/> it does not know.
/// </summary>
/// <remarks>
/// Token and subject events are version 1; session events are version 2, so a kit that predates them
/// skips them as unknown instead of misreading them.
/// </remarks>
public sealed record RevocationEvent
{
    /// <summary>The version of token and subject events.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The version of session events; the newest this library understands.</summary>
    public const int SessionVersion = 2;

    /// <summary>The access-token claim that names the sign-in a token belongs to.</summary>
    public const string SessionClaim = "sid";

    /// <summary>Format version of the event.</summary>
    [JsonPropertyName("v")]
    public int Version { get; init; } = CurrentVersion;

    /// <summary><see cref="RevocationEventKinds.Token"/> or <see cref="RevocationEventKinds.Subject"/>.</summary>
    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    /// <summary>The revoked token's <c>jti</c> (token events).</summary>
    [JsonPropertyName("jti")]
    public string? TokenId { get; init; }

    /// <summary>The revoked sign-in, matched against the tokens' <c>sid</c> claim (session events).</summary>
    [JsonPropertyName("sid")]
    public string? SessionId { get; init; }

    /// <summary>The subject whose tokens are revoked (subject events).</summary>
    [JsonPropertyName("sub")]
    public string? Subject { get; init; }

    /// <summary>Subject events: tokens with <c>iat</c> before this Unix time (seconds) are refused.</summary>
    [JsonPropertyName("before")]
    public long? IssuedBefore { get; init; }

    /// <summary>Unix time (seconds) after which the event no longer matters: every token it refuses has expired.</summary>
    [JsonPropertyName("exp")]
    public long ExpiresAt { get; init; }

    /// <summary>Why: <c>revoked</c>, <c>logout</c>, <c>credentials_changed</c>, <c>banned</c>, <c>deleted</c>...</summary>
    [JsonPropertyName("reason")]
    public string? Reason { get; init; }

    /// <summary>Unix time in milliseconds when the identity service recorded the event.</summary>
    [JsonPropertyName("at")]
    public long OccurredAt { get; init; }

    /// <summary>Where the event sits in the feed (a Redis stream id or the HTTP feed's cursor); set by the reader.</summary>
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    /// <summary>The event as compact JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, RevocationJson.Default.RevocationEvent);

    /// <summary>Reads an event; null when the text is not an event this version understands.</summary>
    public static RevocationEvent? TryParse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            var parsed = JsonSerializer.Deserialize(json, RevocationJson.Default.RevocationEvent);
            return parsed is { IsUnderstood: true } ? parsed : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Whether this library knows the event's version and the event carries what its kind needs.</summary>
    [JsonIgnore]
    public bool IsUnderstood => Version is >= CurrentVersion and <= SessionVersion && IsWellFormed;

    /// <summary>Whether the event carries what its kind needs.</summary>
    [JsonIgnore]
    public bool IsWellFormed => Kind switch
    {
        RevocationEventKinds.Token => !string.IsNullOrEmpty(TokenId),
        RevocationEventKinds.Subject => !string.IsNullOrEmpty(Subject) && IssuedBefore is not null,
        RevocationEventKinds.Session => Version >= SessionVersion && !string.IsNullOrEmpty(SessionId),
        _ => false,
    };
}

/// <summary>The kinds of <see cref="RevocationEvent"/>.</summary>
public static class RevocationEventKinds
{
    /// <summary>One access token, by <c>jti</c>.</summary>
    public const string Token = "token";

    /// <summary>Every token of a subject issued before a time.</summary>
    public const string Subject = "subject";

    /// <summary>Every token of one sign-in, by its <c>sid</c> claim (version 2).</summary>
    public const string Session = "session";
}

/// <summary>One answer of the HTTP revocation feed.</summary>
/// <param name="Events">Events after the cursor the caller sent, oldest first.</param>
/// <param name="Cursor">What to send as <c>after</c> next time.</param>
public sealed record RevocationFeedPage(
    [property: JsonPropertyName("events")] IReadOnlyList<RevocationEvent> Events,
    [property: JsonPropertyName("cursor")] string Cursor);

/// <summary>Names shared by the identity service and the kit.</summary>
public static class RevocationFeed
{
    /// <summary>Redis pub/sub channel on which each event is announced as JSON, under a deployment's <see cref="RedisKeyPrefix"/>.</summary>
    public static string RedisChannel(string prefix) => prefix + "revocations";

    /// <summary>
    /// Redis stream that keeps recent events for services that join late (field <c>e</c> holds the JSON),
    /// under a deployment's <see cref="RedisKeyPrefix"/>.
    /// </summary>
    public static string RedisStream(string prefix) => prefix + "revocations:stream";

    /// <summary>The stream entry field holding the event.</summary>
    public const string RedisStreamField = "e";

    /// <summary>Path of the HTTP feed on the identity service.</summary>
    public const string HttpPath = "feeds/revocations";

    /// <summary>Scope a client needs to read the HTTP feed.</summary>
    public const string Scope = "gatehouse:revocations";

    /// <summary>
    /// How long after its cut-off a subject event matters: longer than any Gatehouse access token lives.
    /// </summary>
    public static readonly TimeSpan SubjectEventLifetime = TimeSpan.FromHours(1) + TimeSpan.FromMinutes(5);
}

/// <summary>Source-generated JSON for the feed contracts.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RevocationEvent))]
[JsonSerializable(typeof(RevocationFeedPage))]
public sealed partial class RevocationJson : JsonSerializerContext;
