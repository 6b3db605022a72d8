using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gatehouse.ResourceServer.Users;

/// <summary>
/// A user's public profile as the identity service publishes it to services allowed the
/// <c>gatehouse:events</c> scope. Never credentials.
/// </summary>
/// <param name="Id">The user id, the <c>sub</c> of the user's tokens.</param>
/// <param name="DisplayName">The name the user chose to show.</param>
/// <param name="Email">The user's email address; a service shows it only to callers allowed to see it.</param>
/// <param name="Picture">The avatar URL (the user's <c>picture</c> claim), if any.</param>
public sealed record UserProfile(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("display_name")] string? DisplayName,
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("picture")] string? Picture);

/// <summary>A change to a user: created, updated (profile) or deleted. Versioned like the revocation events.</summary>
public sealed record UserEvent
{
    /// <summary>The version this library writes and understands.</summary>
    public const int CurrentVersion = 1;

    /// <summary>A user was created.</summary>
    public const string Created = "user.created";

    /// <summary>A user's profile changed.</summary>
    public const string Updated = "user.updated";

    /// <summary>A user was deleted: forget the profile.</summary>
    public const string Deleted = "user.deleted";

    /// <summary>Format version.</summary>
    [JsonPropertyName("v")]
    public int Version { get; init; } = CurrentVersion;

    /// <summary><see cref="Created"/>, <see cref="Updated"/> or <see cref="Deleted"/>.</summary>
    [JsonPropertyName("type")]
    public required string Type { get; init; }

    /// <summary>The profile after the change (only the id for deletions).</summary>
    [JsonPropertyName("user")]
    public required UserProfile User { get; init; }

    /// <summary>Unix time in milliseconds when the change was saved.</summary>
    [JsonPropertyName("at")]
    public long OccurredAt { get; init; }

    /// <summary>Position in the feed; set by the reader.</summary>
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    /// <summary>The event as compact JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, UserEventJson.Default.UserEvent);

    /// <summary>Reads an event; null when the text is not an event this version understands.</summary>
    public static UserEvent? TryParse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(json, UserEventJson.Default.UserEvent) is { Version: CurrentVersion } parsed ? parsed : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>One page of the user snapshot (<c>GET /feeds/users/snapshot</c>).</summary>
/// <param name="Users">Profiles, ordered by id.</param>
/// <param name="Cursor">Where the change feed stood when the first page was read: follow <c>/feeds/users</c> from here.</param>
/// <param name="NextUser">Send as <c>after_user</c> for the next page; null on the last page.</param>
public sealed record UserSnapshotPage(
    [property: JsonPropertyName("users")] IReadOnlyList<UserProfile> Users,
    [property: JsonPropertyName("cursor")] string Cursor,
    [property: JsonPropertyName("next_user")] string? NextUser);

/// <summary>One answer of the user change feed (<c>GET /feeds/users</c>).</summary>
/// <param name="Events">Changes after the cursor sent, oldest first.</param>
/// <param name="Cursor">What to send as <c>after</c> next time.</param>
public sealed record UserEventPage(
    [property: JsonPropertyName("events")] IReadOnlyList<UserEvent> Events,
    [property: JsonPropertyName("cursor")] string Cursor);

/// <summary>Names of the user feed shared by the identity service and its readers.</summary>
public static class UserFeed
{
    /// <summary>Scope a client needs to read the user feed.</summary>
    public const string Scope = "gatehouse:events";

    /// <summary>Redis stream of user events, under a deployment's <see cref="RedisKeyPrefix"/>.</summary>
    public static string RedisStream(string prefix) => prefix + "users:stream";

    /// <summary>Redis pub/sub channel of user events, under a deployment's <see cref="RedisKeyPrefix"/>.</summary>
    public static string RedisChannel(string prefix) => prefix + "users";

    /// <summary>How long changes are kept; a reader further behind gets 410 Gone and reads the snapshot again.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);
}

/// <summary>Source-generated JSON for the user feed contracts.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UserEvent))]
[JsonSerializable(typeof(UserSnapshotPage))]
[JsonSerializable(typeof(UserEventPage))]
public sealed partial class UserEventJson : JsonSerializerContext;
