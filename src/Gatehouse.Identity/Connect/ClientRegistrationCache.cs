using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using Gatehouse.Identity.Bootstrap;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Security;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using StackExchange.Redis;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// What the client-credentials fast path needs to know about a client, read once from the
/// application store. A registration carrying anything the fast path does not understand (a property,
/// setting or requirement it has never heard of, a key set, a public client) is marked ineligible, so
/// such a client is always served by the full OpenIddict pipeline and nothing it carries is dropped.
/// </summary>
public sealed record CachedClient(
    string ClientId,
    string? DisplayName,
    string? SecretHash,
    FrozenSet<string> Permissions,
    TimeSpan? AccessTokenLifetime,
    string? IneligibleBecause)
{
    /// <summary>The scopes the client may request, in the order its permissions are stored.</summary>
    public ImmutableArray<string> AllowedScopes { get; init; } = [];

    /// <summary>Whether the client authenticates with a secret.</summary>
    public bool IsConfidential { get; init; }

    /// <summary>Whether the client is configured for opaque (reference) access tokens rather than JWTs.</summary>
    public bool ReceivesReferenceAccessTokens { get; init; }

    /// <summary>The scopes the client may request.</summary>
    public FrozenSet<string> Scopes { get; init; } = FrozenSet<string>.Empty;

    /// <summary>The resource indicators the client may request.</summary>
    public FrozenSet<string> Resources { get; init; } = FrozenSet<string>.Empty;

    /// <summary>
    /// Application properties the fast path knows to have no effect on a client-credentials grant.
    /// A new property that changes how tokens are issued must not be added here without teaching the
    /// fast path (and its equivalence test) what it does.
    /// </summary>
    public static readonly FrozenSet<string> KnownProperties = FrozenSet.ToFrozenSet(
    [
        ConfiguredRegistrations.SourceProperty,
    ], StringComparer.Ordinal);

    /// <summary>
    /// Application settings the fast path applies itself (the access-token lifetime and format) or
    /// knows to concern only other flows (refresh tokens and logout belong to people's sessions).
    /// </summary>
    public static readonly FrozenSet<string> KnownSettings = FrozenSet.ToFrozenSet(
    [
        Settings.TokenLifetimes.AccessToken,
        ClientRegistration.AccessTokenFormatSetting,
        Settings.TokenLifetimes.RefreshToken,
        ClientRegistration.RefreshTokenAbsoluteLifetimeSetting,
        ClientRegistration.BackChannelLogoutUriSetting,
    ], StringComparer.Ordinal);

    /// <summary>Application requirements that concern only other flows (PKCE: the authorization-code flow).</summary>
    public static readonly FrozenSet<string> KnownRequirements = FrozenSet.ToFrozenSet(
    [
        Requirements.Features.ProofKeyForCodeExchange,
    ], StringComparer.Ordinal);

    private const string ResourcePrefix = OpenIddictConstants.Permissions.Prefixes.Resource;

    public bool IsEligible => IneligibleBecause is null;

    /// <param name="descriptor">The application as stored.</param>
    /// <param name="permissions">Its permissions in stored order (the descriptor holds them as a set).</param>
    public static CachedClient From(OpenIddictApplicationDescriptor descriptor, ImmutableArray<string> permissions)
    {
        var clientId = descriptor.ClientId ?? "";
        TimeSpan? lifetime = null;
        if (descriptor.Settings.TryGetValue(Settings.TokenLifetimes.AccessToken, out var setting))
        {
            // Read the way OpenIddict reads it; an unreadable value is OpenIddict's to report.
            lifetime = TimeSpan.TryParse(setting, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
        }

        var unknownProperty = descriptor.Properties.Keys.FirstOrDefault(key => !KnownProperties.Contains(key));
        var unknownSetting = descriptor.Settings.Keys.FirstOrDefault(key => !KnownSettings.Contains(key));
        var unknownRequirement = descriptor.Requirements.FirstOrDefault(requirement => !KnownRequirements.Contains(requirement));
        string? ineligible = true switch
        {
            _ when descriptor.ClientType != ClientTypes.Confidential => "it is not a confidential client",
            _ when string.IsNullOrEmpty(descriptor.ClientSecret) => "it has no client secret",
            _ when descriptor.JsonWebKeySet is not null => "it has a JSON Web Key Set",
            _ when unknownRequirement is not null => $"its requirement '{unknownRequirement}' is unknown to the fast path",
            // Opaque tokens are stored by OpenIddict (ReferenceAccessTokensPerClient); the fast path writes only JWTs.
            _ when descriptor.Settings.TryGetValue(ClientRegistration.AccessTokenFormatSetting, out var format)
                && format != AccessTokenFormats.Jwt => "it receives reference access tokens",
            _ when unknownProperty is not null => $"its property '{unknownProperty}' is unknown to the fast path",
            _ when unknownSetting is not null => $"its setting '{unknownSetting}' is unknown to the fast path",
            _ when descriptor.Settings.ContainsKey(Settings.TokenLifetimes.AccessToken) && lifetime is null => "its access-token lifetime is unreadable",
            _ => null,
        };

        var allowedScopes = ClientCredentialsGrant.AllowedScopes(permissions);
        var referenceTokens = descriptor.Settings.TryGetValue(ClientRegistration.AccessTokenFormatSetting, out var tokenFormat)
            && tokenFormat == AccessTokenFormats.Reference;
        return new CachedClient(
            clientId,
            descriptor.DisplayName,
            descriptor.ClientSecret,
            permissions.ToFrozenSet(StringComparer.Ordinal),
            lifetime,
            ineligible)
        {
            AllowedScopes = allowedScopes,
            IsConfidential = descriptor.ClientType == ClientTypes.Confidential,
            ReceivesReferenceAccessTokens = referenceTokens,
            Scopes = allowedScopes.ToFrozenSet(StringComparer.Ordinal),
            Resources = permissions
                .Where(permission => permission.StartsWith(ResourcePrefix, StringComparison.Ordinal))
                .Select(permission => permission[ResourcePrefix.Length..])
                .ToFrozenSet(StringComparer.Ordinal),
        };
    }
}

/// <summary>
/// A process-wide, short-lived cache of <see cref="CachedClient"/>s, so that a service calling
/// the token endpoint hundreds of times a second does not cost a database query per call. Entries live
/// <see cref="Lifetime"/> at most; a change made through the application manager empties the cache at
/// once on this node and, through <see cref="IClientRegistrationChanges"/>, on every other node.
/// (All entries, not just the changed client's: a renamed client must lose its old id too, and
/// changes are rare enough that reloading the few active clients costs nothing.)
/// Unknown clients are not cached: their requests go through the full pipeline, which refuses them.
/// </summary>
public sealed class ClientRegistrationCache(IServiceScopeFactory scopes, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    // Bumped by every invalidation; a load that raced with one is not stored.
    private long _generation;

    public async ValueTask<CachedClient?> GetAsync(string clientId, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        if (_entries.TryGetValue(clientId, out var entry) && now < entry.ExpiresAt)
        {
            return entry.Registration;
        }

        var generation = Interlocked.Read(ref _generation);
        var registration = await LoadAsync(clientId, cancellationToken);
        if (registration is null)
        {
            _entries.TryRemove(clientId, out _);
            return null;
        }

        var expiresAt = now + (long)(Lifetime.TotalSeconds * time.TimestampFrequency);
        _entries[clientId] = new Entry(registration, expiresAt);
        if (Interlocked.Read(ref _generation) != generation)
        {
            // Invalidated while loading: what was read may be the old registration.
            _entries.TryRemove(clientId, out _);
        }

        return registration;
    }

    /// <summary>Moves on with every invalidation: whatever was read from the store before may be stale.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Forgets every client on this node.</summary>
    public void InvalidateAll()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    private async ValueTask<CachedClient?> LoadAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var application = await applications.FindByClientIdAsync(clientId, cancellationToken);
        if (application is null)
        {
            return null;
        }

        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, application, cancellationToken);
        return CachedClient.From(descriptor, await applications.GetPermissionsAsync(application, cancellationToken));
    }

    private sealed record Entry(CachedClient Registration, long ExpiresAt);
}

/// <summary>Tells every node that a client's registration changed, so cached copies are dropped.</summary>
public interface IClientRegistrationChanges
{
    ValueTask PublishAsync(string clientId, CancellationToken cancellationToken = default);
}

/// <summary>One node, in-process stores: dropping the local copy is all there is to do.</summary>
public sealed class LocalClientRegistrationChanges(ClientRegistrationCache cache) : IClientRegistrationChanges
{
    public ValueTask PublishAsync(string clientId, CancellationToken cancellationToken = default)
    {
        cache.InvalidateAll();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Several nodes sharing Redis: the change is announced on a pub/sub channel that every node listens
/// to. A node that loses its Redis connection may miss announcements, so it forgets every cached
/// client when the connection comes back; the cache lifetime bounds anything else.
/// </summary>
public sealed class RedisClientRegistrationChanges(
    IConnectionMultiplexer redis, IOptions<GatehouseOptions> options, ClientRegistrationCache cache, ILogger<RedisClientRegistrationChanges> logger)
    : RedisAnnouncements(redis, logger), IClientRegistrationChanges
{
    /// <summary>The channel's name after the deployment's key prefix.</summary>
    public const string ChannelSuffix = "client-changes";

    protected override RedisChannel Channel { get; } = RedisChannel.Literal(options.Value.Redis.Key(ChannelSuffix));

    public async ValueTask PublishAsync(string clientId, CancellationToken cancellationToken = default)
    {
        cache.InvalidateAll();
        // The change itself is saved; if the announcement fails, other nodes catch up within the cache lifetime.
        await AnnounceAsync(clientId);
    }

    protected override void OnAnnounced(RedisValue message) => cache.InvalidateAll();
}
