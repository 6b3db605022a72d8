using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Security;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// Turns away, with 429 and <c>Retry-After</c>, a client id and IP (or an IP) still waiting after failed
/// client authentication at the token, introspection and revocation endpoints, before any secret is
/// checked. While nobody waits, which is the normal state, it costs one clock read per request.
/// </summary>
public sealed class ClientAuthenticationGate(
    RequestDelegate next,
    ClientAuthenticationThrottle throttle,
    CredentialUseCounter counter,
    IOptionsMonitor<OpenIddictServerOptions> server)
{
    public const string TooManyRequests = "too_many_requests";

    private FrozenDictionary<string, string>? _endpoints;

    public async Task InvokeAsync(HttpContext context)
    {
        if (throttle.AnyBlocked && HttpMethods.IsPost(context.Request.Method)
            && Endpoints.TryGetValue(context.Request.Path.Value ?? "", out var endpoint))
        {
            var clientId = await ClientIdOfAsync(context.Request);
            var ip = context.Connection.RemoteIpAddress;
            if (throttle.BlockedFor(clientId, ip) is { } wait)
            {
                counter.Count(AuditEventTypes.ClientAuthThrottled, clientId ?? "", ip, endpoint);
                await WriteTooManyRequestsAsync(context.Response, wait, context.RequestAborted);
                return;
            }
        }

        await next(context);
    }

    /// <summary>The OAuth endpoints where a client authenticates, by path, with their audit names.</summary>
    private FrozenDictionary<string, string> Endpoints => _endpoints ??= Read(server.CurrentValue);

    private static FrozenDictionary<string, string> Read(OpenIddictServerOptions options)
    {
        var endpoints = new Dictionary<string, string>(StringComparer.Ordinal);
        Add(options.TokenEndpointUris, ClientAuthenticationAudit.TokenEndpoint);
        Add(options.IntrospectionEndpointUris, ClientAuthenticationAudit.IntrospectionEndpoint);
        Add(options.RevocationEndpointUris, ClientAuthenticationAudit.RevocationEndpoint);
        return endpoints.ToFrozenDictionary(StringComparer.Ordinal);

        void Add(IEnumerable<Uri> uris, string name)
        {
            foreach (var uri in uris.Where(uri => !uri.IsAbsoluteUri))
            {
                endpoints["/" + uri.OriginalString.TrimStart('/')] = name;
            }
        }
    }

    private static async ValueTask<string?> ClientIdOfAsync(HttpRequest request)
    {
        if (BasicCredentials.TryRead(request.Headers.Authorization.Count == 1 ? request.Headers.Authorization[0] : null, out var clientId, out _))
        {
            return clientId;
        }

        // The form was read and buffered by ProtocolRequestGuard; this reads it from memory.
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            return form[Parameters.ClientId].Count == 1 ? form[Parameters.ClientId][0] : null;
        }

        return null;
    }

    private static async Task WriteTooManyRequestsAsync(HttpResponse response, TimeSpan wait, CancellationToken cancellationToken)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.ContentType = "application/json;charset=UTF-8";
        response.Headers.CacheControl = "no-store";
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await JsonSerializer.SerializeAsync(response.Body, new Dictionary<string, string>
        {
            [Parameters.Error] = TooManyRequests,
            [Parameters.ErrorDescription] = $"Client authentication failed too often from this address; try again in {seconds} s.",
        }, cancellationToken: cancellationToken);
    }
}
