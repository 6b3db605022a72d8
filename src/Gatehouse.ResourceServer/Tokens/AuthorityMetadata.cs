using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.ResourceServer.Tokens;

/// <summary>
/// What the kit knows about the authority: its issuer, endpoints and public signing keys, read from
/// discovery and the JWKS document and kept in memory. Reads are lock-free; a refresh is single-flight
/// (concurrent callers share one request) and, when caused by an unknown key id, rate-limited.
/// </summary>
public sealed partial class AuthorityMetadata
{
    private readonly GatehouseResourceServerOptions _options;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly ILogger<AuthorityMetadata> _logger;
    private readonly Lock _gate = new();
    private Task<AuthoritySnapshot?>? _refreshing;
    private long _lastUnknownKeyRead = long.MinValue;
    private long _lastFailure = long.MinValue;
    private volatile AuthoritySnapshot? _current;

    /// <summary>Creates the cache; nothing is fetched until the first token or the start-up warm-up.</summary>
    public AuthorityMetadata(IOptions<GatehouseResourceServerOptions> options, AuthorityBackchannel backchannel, TimeProvider time, ILogger<AuthorityMetadata> logger)
    {
        _options = options.Value;
        _http = backchannel.Client;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised after a refresh that changed the set of signing keys.</summary>
    public event Action? KeysChanged;

    /// <summary>The last snapshot read, or null before the first successful read.</summary>
    public AuthoritySnapshot? Current => _current;

    /// <summary>The current snapshot, read now when there is none yet or it is older than the refresh interval.</summary>
    public async ValueTask<AuthoritySnapshot?> GetAsync(CancellationToken cancellationToken)
    {
        var current = _current;
        if (current is not null && _time.GetUtcNow() - current.ReadAt < _options.KeyRefreshInterval)
        {
            return current;
        }

        // After a failed read, wait a second before the next: requests must not queue up on a dead authority.
        var failedAt = Interlocked.Read(ref _lastFailure);
        if (failedAt != long.MinValue && _time.GetElapsedTime(failedAt) < TimeSpan.FromSeconds(1))
        {
            return current;
        }

        return await RefreshAsync(rateLimited: false, cancellationToken) ?? current;
    }

    /// <summary>
    /// Reads discovery and keys again because a token names a key id not in the current set. At most
    /// one such read per <see cref="GatehouseResourceServerOptions.UnknownKeyRefreshInterval"/>.
    /// </summary>
    public async ValueTask<AuthoritySnapshot?> RefreshForUnknownKeyAsync(CancellationToken cancellationToken) =>
        await RefreshAsync(rateLimited: true, cancellationToken) ?? _current;

    private Task<AuthoritySnapshot?> RefreshAsync(bool rateLimited, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_refreshing is { } running)
            {
                return running;
            }

            // Only reads caused by unknown key ids are limited: a key published by a rotation is seen on
            // the first token signed with it, while a flood of made-up key ids costs at most one read per interval.
            if (rateLimited)
            {
                var now = _time.GetTimestamp();
                if (_lastUnknownKeyRead != long.MinValue
                    && _time.GetElapsedTime(_lastUnknownKeyRead, now) < _options.UnknownKeyRefreshInterval)
                {
                    return Task.FromResult(_current);
                }

                _lastUnknownKeyRead = now;
            }

            // ReadAsync yields before its first read, so the task is recorded here before it can finish;
            // it clears the record itself before completing, so no caller ever joins a finished read.
            var refresh = ReadAsync(cancellationToken);
            _refreshing = refresh;
            return refresh;
        }
    }

    private async Task<AuthoritySnapshot?> ReadAsync(CancellationToken cancellationToken)
    {
        // The read is shared by every waiting request: one caller's cancellation must not cancel it for all.
        _ = cancellationToken;
        await Task.Yield();
        try
        {
            var authority = _options.Authority!;
            var discoveryUri = new Uri(EnsureTrailingSlash(authority), ".well-known/openid-configuration");
            using var discovery = JsonDocument.Parse(await _http.GetStringAsync(discoveryUri));
            var root = discovery.RootElement;
            var issuer = root.GetProperty("issuer").GetString() ?? throw new JsonException("discovery has no issuer");
            if (!SameIssuer(issuer, authority))
            {
                LogIssuerMismatch(_logger, issuer, authority);
                Interlocked.Exchange(ref _lastFailure, _time.GetTimestamp());
                return null;
            }

            var jwksUri = new Uri(root.GetProperty("jwks_uri").GetString() ?? throw new JsonException("discovery has no jwks_uri"));
            var keySet = new JsonWebKeySet(await _http.GetStringAsync(jwksUri));
            var keys = new Dictionary<string, VerificationKey>(StringComparer.Ordinal);
            foreach (var jwk in keySet.Keys)
            {
                if (ToVerificationKey(jwk) is { } key)
                {
                    keys[jwk.Kid] = key;
                }
            }

            var snapshot = new AuthoritySnapshot(
                issuer,
                keys,
                TryGetUri(root, "token_endpoint"),
                _time.GetUtcNow());
            var previous = _current;
            _current = snapshot;
            Interlocked.Exchange(ref _lastFailure, long.MinValue);
            if (previous is null || !previous.Keys.Keys.ToHashSet().SetEquals(keys.Keys))
            {
                LogKeysRead(_logger, keys.Count, string.Join(", ", keys.Keys));
                if (previous is not null)
                {
                    KeysChanged?.Invoke();
                }
            }

            return snapshot;
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or KeyNotFoundException
                                              or InvalidOperationException or ArgumentException or TaskCanceledException or UriFormatException)
        {
            LogReadFailed(_logger, _options.Authority!, exception.Message);
            Interlocked.Exchange(ref _lastFailure, _time.GetTimestamp());
            return null;
        }
        finally
        {
            // Before the task completes: a token with a key id this read did not see must start a new read,
            // not join this one (clearing it later, from a continuation, left a window in which requests
            // for a just-published key got the finished read's old keys and were refused).
            lock (_gate)
            {
                _refreshing = null;
            }
        }
    }

    /// <summary>
    /// Only public, asymmetric signing keys with a key id are kept. A symmetric (<c>oct</c>) key in a
    /// JWKS would be a public secret, so it is never used to check a signature.
    /// </summary>
    private static VerificationKey? ToVerificationKey(JsonWebKey jwk)
    {
        if (string.IsNullOrEmpty(jwk.Kid) || jwk.Use is { Length: > 0 } use && use != "sig"
            || jwk.Kty is not (JsonWebAlgorithmsKeyTypes.EllipticCurve or JsonWebAlgorithmsKeyTypes.RSA)
            || jwk.HasPrivateKey)
        {
            return null;
        }

        if (!JsonWebKeyConverter.TryConvertToSecurityKey(jwk, out var key))
        {
            return null;
        }

        key.KeyId = jwk.Kid;
        return new VerificationKey(key, string.IsNullOrEmpty(jwk.Alg) ? null : jwk.Alg);
    }

    private static Uri? TryGetUri(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && Uri.TryCreate(value.GetString(), UriKind.Absolute, out var uri) ? uri : null;

    internal static Uri EnsureTrailingSlash(Uri uri) =>
        uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");

    private static bool SameIssuer(string issuer, Uri authority) =>
        Uri.TryCreate(issuer, UriKind.Absolute, out var issuerUri)
        && EnsureTrailingSlash(issuerUri) == EnsureTrailingSlash(authority);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Read {Count} signing key(s) from the authority: {KeyIds}")]
    private static partial void LogKeysRead(ILogger logger, int count, string keyIds);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Could not read discovery or keys from {Authority}: {Reason}")]
    private static partial void LogReadFailed(ILogger logger, Uri authority, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "Discovery announces issuer {Issuer}, which is not the configured authority {Authority}; its keys are not trusted")]
    private static partial void LogIssuerMismatch(ILogger logger, string issuer, Uri authority);
}

/// <summary>One consistent reading of the authority's metadata.</summary>
/// <param name="Issuer">The issuer exactly as discovery announces it; a token's <c>iss</c> must equal it.</param>
/// <param name="Keys">Public signing keys by key id.</param>
/// <param name="TokenEndpoint">The token endpoint, used to get a token for the HTTP revocation feed.</param>
/// <param name="ReadAt">When this reading was made.</param>
public sealed record AuthoritySnapshot(string Issuer, IReadOnlyDictionary<string, VerificationKey> Keys, Uri? TokenEndpoint, DateTimeOffset ReadAt);

/// <summary>A public signing key of the authority.</summary>
/// <param name="Key">The key, converted once from its JWK.</param>
/// <param name="Algorithm">The algorithm the JWK was published for (<c>alg</c>), if it names one; a token must then use it.</param>
public sealed record VerificationKey(SecurityKey Key, string? Algorithm);

/// <summary>The HTTP client the kit uses to reach the authority.</summary>
public sealed class AuthorityBackchannel : IDisposable
{
    /// <summary>Creates the client from <see cref="GatehouseResourceServerOptions.BackchannelHandler"/> or a plain handler.</summary>
    public AuthorityBackchannel(IOptions<GatehouseResourceServerOptions> options)
    {
        var handler = options.Value.BackchannelHandler;
        Client = handler is null
            ? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            : new HttpClient(handler, disposeHandler: false);
        Client.Timeout = TimeSpan.FromSeconds(60);
        Client.DefaultRequestHeaders.UserAgent.ParseAdd("Gatehouse.ResourceServer/1.0");
    }

    /// <summary>The shared client.</summary>
    public HttpClient Client { get; }

    /// <inheritdoc />
    public void Dispose() => Client.Dispose();
}
