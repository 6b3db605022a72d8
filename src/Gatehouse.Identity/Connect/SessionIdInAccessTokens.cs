using Gatehouse.ResourceServer.Revocation;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// Access tokens issued under an authorization (code flow, its refresh tokens, token exchange) carry
/// its id as <c>sid</c>, the claim resource servers match against session revocations: when the
/// authorization is revoked (a replayed code or refresh token, an ended session), the kit refuses
/// them without a call to this service. ID tokens keep the browser session's <c>sid</c>.
/// </summary>
public sealed class SessionIdInAccessTokens : IOpenIddictServerHandler<ProcessSignInContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
            .UseSingletonHandler<SessionIdInAccessTokens>()
            .SetOrder(OpenIddictServerHandlers.PrepareAccessTokenPrincipal.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ProcessSignInContext context)
    {
        if (context.AccessTokenPrincipal is { } principal && principal.GetAuthorizationId() is { Length: > 0 } authorizationId)
        {
            principal.SetClaim(RevocationEvent.SessionClaim, authorizationId);
        }

        return ValueTask.CompletedTask;
    }
}
