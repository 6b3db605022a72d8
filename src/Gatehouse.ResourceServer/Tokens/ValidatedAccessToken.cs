using System.Security.Claims;

namespace Gatehouse.ResourceServer.Tokens;

/// <summary>An access token whose signature, issuer, audience and lifetime have been checked.</summary>
/// <param name="Principal">The token's claims (claim types as in the token: <c>sub</c>, <c>scope</c>, <c>role</c>...).</param>
/// <param name="TokenId">The <c>jti</c> claim.</param>
/// <param name="Subject">The <c>sub</c> claim.</param>
/// <param name="IssuedAt">The <c>iat</c> claim, in Unix seconds.</param>
/// <param name="ExpiresAt">The <c>exp</c> claim, in Unix seconds.</param>
/// <param name="SessionId">
/// The <c>sid</c> claim: the sign-in (refresh-token family or authorization) the token was issued in, or
/// null for a token of no sign-in (a service's own client-credentials token).
/// </param>
public sealed record ValidatedAccessToken(ClaimsPrincipal Principal, string TokenId, string Subject, long IssuedAt, long ExpiresAt, string? SessionId = null);

/// <summary>The outcome of validating one token: the token, or why it was refused.</summary>
public readonly record struct AccessTokenValidationResult
{
    private AccessTokenValidationResult(ValidatedAccessToken? token, AccessTokenError? error)
    {
        Token = token;
        Error = error;
    }

    /// <summary>The validated token, when <see cref="Error"/> is null.</summary>
    public ValidatedAccessToken? Token { get; }

    /// <summary>Why the token was refused, or null.</summary>
    public AccessTokenError? Error { get; }

    /// <summary>Whether the token was accepted.</summary>
    public bool Succeeded => Error is null;

    /// <summary>An accepted token.</summary>
    public static AccessTokenValidationResult Success(ValidatedAccessToken token) => new(token, null);

    /// <summary>A refused token.</summary>
    public static AccessTokenValidationResult Failure(AccessTokenError error) => new(null, error);
}
