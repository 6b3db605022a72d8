using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Security;
using Microsoft.AspNetCore;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// Every credential presented to the OAuth endpoints leaves an audit event: client authentication at
/// the token, introspection and revocation endpoints (successes counted, each failure recorded and
/// counted towards <see cref="ClientAuthenticationThrottle"/>), and the codes, refresh tokens and
/// subject tokens redeemed at the token endpoint, whether they were accepted or not.
/// </summary>
public static class ClientAuthenticationAudit
{
    public const string TokenEndpoint = "token";
    public const string IntrospectionEndpoint = "introspection";
    public const string RevocationEndpoint = "revocation";
    public const string AccountsEndpoint = "accounts";

    public static void Configure(OpenIddictServerBuilder server)
    {
        server.AddEventHandler(RecordClientAuthentication.Descriptor);
        server.AddEventHandler(RecordGrant.Descriptor);
        server.AddEventHandler(RecordFailure.Descriptor);
    }

    internal static string? EndpointName(OpenIddictServerEndpointType endpoint) => endpoint switch
    {
        OpenIddictServerEndpointType.Token => TokenEndpoint,
        OpenIddictServerEndpointType.Introspection => IntrospectionEndpoint,
        OpenIddictServerEndpointType.Revocation => RevocationEndpoint,
        _ => null,
    };

    internal static System.Net.IPAddress? IpOf(OpenIddictServerTransaction transaction) =>
        transaction.GetHttpRequest()?.HttpContext.Connection.RemoteIpAddress;

    /// <summary>The audit types of a grant that presents a credential of its own (a code, a refresh or subject token).</summary>
    internal static (string Succeeded, string Failed)? GrantTypes(OpenIddictRequest? request) =>
        request is null ? null
        : request.IsAuthorizationCodeGrantType() ? (AuditEventTypes.CodeRedeemed, AuditEventTypes.CodeRedeemFailed)
        : request.IsRefreshTokenGrantType() ? (AuditEventTypes.RefreshSucceeded, AuditEventTypes.RefreshFailed)
        : request.IsTokenExchangeGrantType() ? (AuditEventTypes.TokenExchanged, AuditEventTypes.TokenExchangeFailed)
        : null;
}

/// <summary>A client secret OpenIddict has just accepted: counted as a successful client authentication.</summary>
public sealed class RecordClientAuthentication(CredentialUseCounter counter) : IOpenIddictServerHandler<ProcessAuthenticationContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessAuthenticationContext>()
            .UseSingletonHandler<RecordClientAuthentication>()
            .SetOrder(OpenIddictServerHandlers.ValidateClientSecret.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ProcessAuthenticationContext context)
    {
        if (ClientAuthenticationAudit.EndpointName(context.EndpointType) is { } endpoint
            && !string.IsNullOrEmpty(context.ClientId) && !string.IsNullOrEmpty(context.ClientSecret))
        {
            counter.Count(AuditEventTypes.ClientAuthSucceeded, context.ClientId, ClientAuthenticationAudit.IpOf(context.Transaction), endpoint);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>A code, refresh token or subject token redeemed at the token endpoint.</summary>
public sealed class RecordGrant(AuditLog audit) : IOpenIddictServerHandler<ProcessSignInContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
            .UseSingletonHandler<RecordGrant>()
            .SetOrder(OpenIddictServerHandlers.PrepareAccessTokenPrincipal.Descriptor.Order + 2)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ProcessSignInContext context)
    {
        if (context.EndpointType == OpenIddictServerEndpointType.Token
            && ClientAuthenticationAudit.GrantTypes(context.Request) is { } types)
        {
            var subject = context.Principal?.GetClaim(Claims.Subject);
            audit.Record(types.Succeeded, Guid.TryParse(subject, out var userId) ? userId : null,
                context.Request.ClientId, ClientAuthenticationAudit.IpOf(context.Transaction)?.ToString(), ClientAuthenticationAudit.TokenEndpoint);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A refused request at the token, introspection or revocation endpoint: failed client authentication
/// is recorded and counted towards the waits; a refused code, refresh or subject token is recorded.
/// </summary>
public sealed class RecordFailure(AuditLog audit, ClientAuthenticationThrottle throttle) : IOpenIddictServerHandler<ProcessErrorContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessErrorContext>()
            .UseSingletonHandler<RecordFailure>()
            .SetOrder(int.MinValue + 100_000)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public async ValueTask HandleAsync(ProcessErrorContext context)
    {
        if (ClientAuthenticationAudit.EndpointName(context.EndpointType) is not { } endpoint || context.Error is not { Length: > 0 } error)
        {
            return;
        }

        var ip = ClientAuthenticationAudit.IpOf(context.Transaction);
        var clientId = context.Request?.ClientId;
        if (error == Errors.InvalidClient)
        {
            audit.Record(AuditEventTypes.ClientAuthFailed, null, clientId, ip?.ToString(), endpoint + ":" + error);
            await throttle.RecordFailureAsync(clientId, ip, context.CancellationToken);
        }
        else if (context.EndpointType == OpenIddictServerEndpointType.Token && ClientAuthenticationAudit.GrantTypes(context.Request) is { } types)
        {
            audit.Record(types.Failed, null, clientId, ip?.ToString(), error);
        }
    }
}
