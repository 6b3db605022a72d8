using Gatehouse.ResourceServer.Revocation;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.ResourceServer.Tokens;

/// <summary>
/// Validates RFC 9068 access tokens locally: <c>typ</c> must be <c>at+jwt</c>, <c>alg</c> on the
/// allow-list, the key named by <c>kid</c> one the authority publishes (never one the token brings
/// along through <c>jku</c>, <c>x5u</c> or <c>jwk</c>), <c>iss</c> exactly the authority's issuer,
/// <c>aud</c> this service, <c>exp</c>/<c>nbf</c> within the clock skew. Revocation is checked
/// separately, on every request, by <see cref="Revocation.RevocationList"/>.
/// </summary>
public sealed class AccessTokenValidator
{
    /// <summary>Longest token accepted; anything larger is refused before it is parsed.</summary>
    public const int MaxTokenLength = 16 * 1024;

    private static readonly string[] AccessTokenTypes = ["at+jwt", "application/at+jwt"];

    private readonly GatehouseResourceServerOptions _options;
    private readonly AuthorityMetadata _metadata;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly HashSet<string> _allowedAlgorithms;
    private readonly ValidatedTokenCache _cache;
    private volatile ParametersForSnapshot? _parameters;

    /// <summary>Creates the validator; it reads keys through <paramref name="metadata"/>.</summary>
    public AccessTokenValidator(IOptions<GatehouseResourceServerOptions> options, AuthorityMetadata metadata, TimeProvider time)
    {
        _options = options.Value;
        _metadata = metadata;
        _time = time;
        _allowedAlgorithms = new HashSet<string>(_options.AllowedAlgorithms, StringComparer.Ordinal);
        _cache = new ValidatedTokenCache(_options.ValidatedTokenCacheSize);

        // A key that disappears from the JWKS may have been compromised: forget what it vouched for.
        metadata.KeysChanged += _cache.Clear;
    }

    /// <summary>Validates <paramref name="token"/>; a token seen before and not yet expired is answered from memory.</summary>
    public async ValueTask<AccessTokenValidationResult> ValidateAsync(string token, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (_cache.TryGet(token, now, out var cached))
        {
            return AccessTokenValidationResult.Success(cached);
        }

        if (token.Length is 0 or > MaxTokenLength)
        {
            return AccessTokenValidationResult.Failure(AccessTokenErrors.Malformed);
        }

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (Exception exception) when (exception is ArgumentException or SecurityTokenException)
        {
            return AccessTokenValidationResult.Failure(AccessTokenErrors.Malformed);
        }

        if (jwt.IsEncrypted)
        {
            return AccessTokenValidationResult.Failure(AccessTokenErrors.Malformed);
        }

        if (!_allowedAlgorithms.Contains(jwt.Alg))
        {
            return AccessTokenValidationResult.Failure(AccessTokenErrors.DisallowedAlgorithm);
        }

        if (!IsAccessTokenType(jwt.Typ))
        {
            return AccessTokenValidationResult.Failure(AccessTokenErrors.WrongType);
        }

        if (string.IsNullOrEmpty(jwt.Kid))
        {
            return AccessTokenValidationResult.Failure(AccessTokenErrors.MissingKeyId);
        }

        var snapshot = await _metadata.GetAsync(cancellationToken);
        if (snapshot is null)
        {
            return AccessTokenValidationResult.Failure(AccessTokenErrors.AuthorityUnavailable);
        }

        if (!snapshot.Keys.ContainsKey(jwt.Kid))
        {
            snapshot = await _metadata.RefreshForUnknownKeyAsync(cancellationToken);
            if (snapshot is null || !snapshot.Keys.ContainsKey(jwt.Kid))
            {
                return AccessTokenValidationResult.Failure(AccessTokenErrors.UnknownKey);
            }
        }

        var key = snapshot.Keys[jwt.Kid];
        if (key.Algorithm is { } published && !string.Equals(published, jwt.Alg, StringComparison.Ordinal))
        {
            return AccessTokenValidationResult.Failure(AccessTokenErrors.DisallowedAlgorithm);
        }

        var result = await _handler.ValidateTokenAsync(jwt, ParametersFor(snapshot, jwt.Kid));
        if (!result.IsValid)
        {
            return AccessTokenValidationResult.Failure(ErrorFor(result.Exception));
        }

        // The library tolerates some issuer variations; Gatehouse wants the exact string.
        if (!string.Equals(jwt.Issuer, snapshot.Issuer, StringComparison.Ordinal))
        {
            return AccessTokenValidationResult.Failure(AccessTokenErrors.WrongIssuer);
        }

        if (!jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Iat, out var issuedAt)
            || !jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Exp, out var expiresAt)
            || string.IsNullOrEmpty(jwt.Subject) || string.IsNullOrEmpty(jwt.Id))
        {
            return AccessTokenValidationResult.Failure(AccessTokenErrors.MissingClaims);
        }

        if (issuedAt > now + (long)_options.ClockSkew.TotalSeconds)
        {
            return AccessTokenValidationResult.Failure(AccessTokenErrors.NotYetValid);
        }

        var validated = new ValidatedAccessToken(new ClaimsPrincipal(result.ClaimsIdentity), jwt.Id, jwt.Subject, issuedAt, expiresAt,
            jwt.TryGetPayloadValue<string>(RevocationEvent.SessionClaim, out var sessionId) && sessionId.Length > 0 ? sessionId : null);
        _cache.Add(token, validated, now);
        return AccessTokenValidationResult.Success(validated);
    }

    private static bool IsAccessTokenType(string? type) =>
        type is not null && (type.Equals(AccessTokenTypes[0], StringComparison.OrdinalIgnoreCase)
                             || type.Equals(AccessTokenTypes[1], StringComparison.OrdinalIgnoreCase));

    private TokenValidationParameters ParametersFor(AuthoritySnapshot snapshot, string keyId)
    {
        var parameters = _parameters;
        if (parameters is null || !ReferenceEquals(parameters.Snapshot, snapshot))
        {
            parameters = new ParametersForSnapshot(snapshot, snapshot.Keys.ToDictionary(
                pair => pair.Key,
                pair => Build(snapshot.Issuer, pair.Value.Key),
                StringComparer.Ordinal));
            _parameters = parameters;
        }

        return parameters.ByKeyId[keyId];
    }

    private TokenValidationParameters Build(string issuer, SecurityKey key) => new()
    {
        ValidIssuer = issuer,
        ValidAudience = _options.Audience,
        IssuerSigningKey = key,
        TryAllIssuerSigningKeys = false,
        ValidAlgorithms = _options.AllowedAlgorithms,
        ValidTypes = AccessTokenTypes,
        ClockSkew = _options.ClockSkew,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        RequireAudience = true,
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        ValidateIssuerSigningKey = true,
        NameClaimType = "name",
        RoleClaimType = "role",
        AuthenticationType = GatehouseResourceServerDefaults.AuthenticationScheme,
    };

    private static AccessTokenError ErrorFor(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => AccessTokenErrors.Expired,
        SecurityTokenNotYetValidException => AccessTokenErrors.NotYetValid,
        SecurityTokenNoExpirationException => AccessTokenErrors.MissingClaims,
        SecurityTokenInvalidAudienceException => AccessTokenErrors.WrongAudience,
        SecurityTokenInvalidIssuerException => AccessTokenErrors.WrongIssuer,
        SecurityTokenInvalidTypeException => AccessTokenErrors.WrongType,
        SecurityTokenInvalidAlgorithmException => AccessTokenErrors.DisallowedAlgorithm,
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => AccessTokenErrors.InvalidSignature,
        SecurityTokenMalformedException => AccessTokenErrors.Malformed,
        _ => AccessTokenErrors.Invalid,
    };

    private sealed record ParametersForSnapshot(AuthoritySnapshot Snapshot, Dictionary<string, TokenValidationParameters> ByKeyId);
}
