using Gatehouse.Identity.Revocation;
using Gatehouse.Identity.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlers;
using StoredTokenRevocation = OpenIddict.Server.OpenIddictServerHandlers.Revocation.RevokeToken;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// JWT access tokens are short-lived and validated locally by every service, so they get no database
/// row: issuing one is a signature, not an INSERT. Their revocation goes through
/// <see cref="IAccessTokenDenylist"/> instead. Reference (opaque) access tokens still need a row.
/// </summary>
public sealed class SkipAccessTokenEntry : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
            .UseSingletonHandler<SkipAccessTokenEntry>()
            .SetOrder(Protection.CreateTokenEntry.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(GenerateTokenContext context)
    {
        if (context.TokenType == TokenTypeIdentifiers.AccessToken && !context.IsReferenceToken)
        {
            context.CreateTokenEntry = false;
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>Rejects a revoked access token wherever the server validates one (introspection, userinfo).</summary>
public sealed class RejectDeniedAccessTokens(IAccessTokenDenylist denylist) : IOpenIddictServerHandler<ValidateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
            .UseScopedHandler<RejectDeniedAccessTokens>()
            .SetOrder(Protection.ValidateTokenEntry.Descriptor.Order + 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ValidateTokenContext context)
    {
        if (context.Principal is not { } principal || !principal.HasTokenType(TokenTypeIdentifiers.AccessToken))
        {
            return;
        }

        var refusal = await denylist.CheckAsync(new AccessTokenFacts(
            principal.GetClaim(Claims.JwtId), principal.GetClaim(Claims.Subject), principal.GetCreationDate(), principal.GetClaim(UserAccessTokens.SessionClaim)));
        var reason = refusal switch
        {
            AccessTokenRefusal.TokenRevoked => "The access token has been revoked.",
            AccessTokenRefusal.SubjectRevoked => "The access token was issued before its subject's tokens were revoked.",
            AccessTokenRefusal.SessionEnded => "The access token's session has ended.",
            _ => null,
        };
        if (reason is not null)
        {
            context.Reject(Errors.InvalidToken, reason);
        }
    }
}

/// <summary>
/// Revocation (RFC 7009) of an unstored JWT access token denylists its <c>jti</c> until it expires;
/// every other token goes through OpenIddict's own revocation of the stored entry.
/// </summary>
public sealed class RevokeTokenOrDenylistAccessToken(IAccessTokenDenylist denylist, StoredTokenRevocation storedTokenRevocation)
    : IOpenIddictServerHandler<HandleRevocationRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<HandleRevocationRequestContext>()
            .UseScopedHandler<RevokeTokenOrDenylistAccessToken>()
            .SetOrder(StoredTokenRevocation.Descriptor.Order)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(HandleRevocationRequestContext context)
    {
        var principal = context.GenericTokenPrincipal;
        if (principal is not null
            && string.IsNullOrEmpty(principal.GetTokenId())
            && principal.HasTokenType(TokenTypeIdentifiers.AccessToken)
            && principal.GetClaim(Claims.JwtId) is { Length: > 0 } tokenId)
        {
            var expiresAt = principal.GetExpirationDate() ?? DateTimeOffset.UtcNow.AddHours(1);
            await denylist.DenyAsync(tokenId, expiresAt);
            return;
        }

        await storedTokenRevocation.HandleAsync(context);
    }
}
