namespace Gatehouse.ResourceServer.Tokens;

/// <summary>
/// Why an access token was refused: a stable code (safe to show the caller, used in the
/// <c>WWW-Authenticate</c> description and the problem-details body) and one sentence.
/// </summary>
/// <param name="Code">Stable, machine-readable code such as <c>token_expired</c>.</param>
/// <param name="Description">One sentence for a person.</param>
/// <param name="Status">The HTTP status the refusal is answered with: 401, or 503 when the kit cannot decide.</param>
public sealed record AccessTokenError(string Code, string Description, int Status = 401);

/// <summary>The one catalog of the kit's token errors.</summary>
public static class AccessTokenErrors
{
    /// <summary>The token is not a well-formed, signed (JWS) JWT of a sane size.</summary>
    public static readonly AccessTokenError Malformed = new("malformed_token", "The access token is not a well-formed signed JWT.");

    /// <summary>The <c>typ</c> header is not <c>at+jwt</c>: an ID token or another kind of JWT.</summary>
    public static readonly AccessTokenError WrongType = new("wrong_token_type", "The token is not an access token (typ must be at+jwt).");

    /// <summary>The <c>alg</c> header is not on the allow-list (<c>none</c> and HMAC never are).</summary>
    public static readonly AccessTokenError DisallowedAlgorithm = new("disallowed_algorithm", "The token is signed with an algorithm this service does not accept.");

    /// <summary>The header names no key id.</summary>
    public static readonly AccessTokenError MissingKeyId = new("missing_key_id", "The token does not name its signing key (kid).");

    /// <summary>The key id is not among the authority's published keys, even after reading them again.</summary>
    public static readonly AccessTokenError UnknownKey = new("unknown_signing_key", "The token is signed with a key the authority does not publish.");

    /// <summary>The signature does not verify.</summary>
    public static readonly AccessTokenError InvalidSignature = new("invalid_signature", "The token's signature is not valid.");

    /// <summary>The <c>iss</c> claim is not exactly the authority's issuer.</summary>
    public static readonly AccessTokenError WrongIssuer = new("wrong_issuer", "The token was issued by another authority.");

    /// <summary>The <c>aud</c> claim does not contain this service's audience.</summary>
    public static readonly AccessTokenError WrongAudience = new("wrong_audience", "The token is meant for another service.");

    /// <summary>The token has expired.</summary>
    public static readonly AccessTokenError Expired = new("token_expired", "The access token has expired.");

    /// <summary>The token is not valid yet (<c>nbf</c> or <c>iat</c> in the future).</summary>
    public static readonly AccessTokenError NotYetValid = new("token_not_yet_valid", "The access token is not valid yet.");

    /// <summary>A claim every Gatehouse access token carries is missing.</summary>
    public static readonly AccessTokenError MissingClaims = new("missing_claims", "The access token lacks a required claim (exp, iat, sub or jti).");

    /// <summary>Any other validation failure.</summary>
    public static readonly AccessTokenError Invalid = new("invalid_token", "The access token is not valid.");

    /// <summary>The token's <c>jti</c> is on the revocation list.</summary>
    public static readonly AccessTokenError Revoked = new("token_revoked", "The access token has been revoked.");

    /// <summary>Every token of the subject issued before a cut-off time was revoked (logout everywhere, password change, ban, deletion).</summary>
    public static readonly AccessTokenError SubjectRevoked = new("subject_revoked", "The access token was issued before its subject's tokens were revoked.");

    /// <summary>The sign-in the token was issued in was ended: a replayed code or refresh token, a logout, a revoked session.</summary>
    public static readonly AccessTokenError SessionRevoked = new("session_revoked", "The sign-in this access token belongs to has been revoked.");

    /// <summary>The revocation feed has been unreachable for longer than the grace period and the kit fails closed.</summary>
    public static readonly AccessTokenError RevocationFeedUnavailable = new("revocation_feed_unavailable", "Revocations cannot be checked right now; try again shortly.", 503);

    /// <summary>The authority's discovery or keys have never been read.</summary>
    public static readonly AccessTokenError AuthorityUnavailable = new("authority_unavailable", "The authority's signing keys cannot be read right now; try again shortly.", 503);
}
