using System.Security.Claims;
using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Connect;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Gatehouse.Identity.Tokens;

/// <summary>An access token as handed to a client.</summary>
public sealed record IssuedAccessToken(string Token, DateTimeOffset ExpiresAt);

/// <summary>What an access token presented to the account API says, once it is verified.</summary>
public sealed record VerifiedAccessToken(Guid UserId, string ClientId, Guid? SessionId, string TokenId, DateTimeOffset ExpiresAt);

/// <summary>
/// Access tokens for users of the account API: the same keys, issuer, <c>typ at+jwt</c> and claims as
/// the tokens of <c>/connect/token</c>, so introspection, the <c>jti</c> denylist and subject
/// revocation apply to them unchanged. They are written directly by <see cref="AccessTokenWriter"/>
/// whenever that gives the token OpenIddict's pipeline would give (decided by
/// <see cref="AccountTokensFastPathState"/>, and per client: one that receives reference tokens goes
/// to OpenIddict); otherwise, and for checking them, OpenIddict's own token pipeline runs.
/// </summary>
public sealed class UserAccessTokens(
    IOpenIddictServerFactory factory,
    IOpenIddictServerDispatcher dispatcher,
    AccountTokensFastPathState fastPath,
    TokenMetrics metrics,
    TimeProvider time)
{
    /// <summary>The session claim: the refresh-token family the token was issued in.</summary>
    public const string SessionClaim = "sid";

    /// <param name="notBefore">A subject cut-off: when it is later than now, the token is issued at it.</param>
    public async Task<IssuedAccessToken> IssueAsync(
        Uri baseUri, Guid userId, IReadOnlyCollection<string> roles, AccountClient client, Guid sessionId, DateTimeOffset? notBefore, CancellationToken cancellationToken)
    {
        var issuedAt = time.GetUtcNow();
        if (notBefore > issuedAt)
        {
            issuedAt = notBefore.Value;
        }

        if (fastPath.Settings is { } settings && !client.ReceivesReferenceAccessTokens)
        {
            var token = settings.Writer.WriteForUser(
                settings.Issuer ?? baseUri.AbsoluteUri, issuedAt, client.AccessTokenLifetime, client.Audiences, client.Scopes,
                client.ClientId, userId.ToString(), sessionId.ToString(), roles);
            metrics.AccountTokenIssued(TokenMetrics.FastPath);
            return new IssuedAccessToken(token, issuedAt + client.AccessTokenLifetime);
        }

        return await GenerateAsync(baseUri, userId, roles, client, sessionId, issuedAt, cancellationToken);
    }

    /// <summary>The token as OpenIddict's token pipeline (<see cref="GenerateTokenContext"/>) makes it.</summary>
    internal async Task<IssuedAccessToken> GenerateAsync(
        Uri baseUri, Guid userId, IReadOnlyCollection<string> roles, AccountClient client, Guid sessionId, DateTimeOffset issuedAt, CancellationToken cancellationToken)
    {
        var transaction = await factory.CreateTransactionAsync();
        transaction.BaseUri = baseUri;
        transaction.CancellationToken = cancellationToken;

        var expiresAt = issuedAt + client.AccessTokenLifetime;
        var identity = new ClaimsIdentity(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, userId.ToString());
        identity.SetClaim(SessionClaim, sessionId.ToString());
        identity.SetClaim(Claims.ClientId, client.ClientId);
        identity.SetClaims(Claims.Role, [.. roles]);

        var principal = new ClaimsPrincipal(identity)
            .SetTokenType(TokenTypeIdentifiers.AccessToken)
            .SetCreationDate(issuedAt)
            .SetExpirationDate(expiresAt)
            .SetClaim(Claims.Private.Issuer, (transaction.Options.Issuer ?? baseUri).AbsoluteUri)
            .SetPresenters(client.ClientId)
            .SetAudiences(client.Audiences)
            .SetScopes(client.Scopes);
        principal.SetDestinations(static _ => [Destinations.AccessToken]);

        var context = new GenerateTokenContext(transaction)
        {
            ClientId = client.ClientId,
            CreateTokenEntry = false,
            IsReferenceToken = false,
            PersistTokenPayload = false,
            Principal = principal,
            TokenFormat = TokenFormats.Private.JsonWebToken,
            TokenType = TokenTypeIdentifiers.AccessToken,
        };

        await dispatcher.DispatchAsync(context);
        if (context.IsRejected || string.IsNullOrEmpty(context.Token))
        {
            throw new InvalidOperationException($"The access token could not be generated: {context.Error} {context.ErrorDescription}");
        }

        metrics.AccountTokenIssued(TokenMetrics.StandardPath);
        return new IssuedAccessToken(context.Token, expiresAt);
    }

    /// <summary>
    /// Checks signature, issuer, type, lifetime and revocation (denylisted <c>jti</c>, revoked subject).
    /// Null when the token is not an active access token of a user.
    /// </summary>
    public async Task<VerifiedAccessToken?> VerifyAsync(Uri baseUri, string token, CancellationToken cancellationToken)
    {
        var transaction = await factory.CreateTransactionAsync();
        transaction.BaseUri = baseUri;
        transaction.CancellationToken = cancellationToken;

        var context = new ValidateTokenContext(transaction)
        {
            Token = token,
            DisableAudienceValidation = true,
            DisablePresenterValidation = true,
        };
        context.ValidTokenTypes.Add(TokenTypeIdentifiers.AccessToken);

        await dispatcher.DispatchAsync(context);
        if (context.IsRejected || context.Principal is not { } principal)
        {
            return null;
        }

        if (!Guid.TryParse(principal.GetClaim(Claims.Subject), out var userId)
            || principal.GetClaim(Claims.ClientId) is not { Length: > 0 } clientId
            || principal.GetClaim(Claims.JwtId) is not { Length: > 0 } tokenId
            || principal.GetExpirationDate() is not { } expiresAt)
        {
            return null;
        }

        Guid? sessionId = Guid.TryParse(principal.GetClaim(SessionClaim), out var sid) ? sid : null;
        return new VerifiedAccessToken(userId, clientId, sessionId, tokenId, expiresAt);
    }

    /// <summary>The base URI OpenIddict infers from a request, used as issuer when none is configured.</summary>
    public static Uri BaseUriOf(HttpRequest request) =>
        new(request.Scheme + Uri.SchemeDelimiter + request.Host + request.PathBase + "/", UriKind.Absolute);
}
