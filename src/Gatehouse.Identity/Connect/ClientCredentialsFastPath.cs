using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Security;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// Answers the common client-credentials token request without OpenIddict's event pipeline: a
/// well-formed form post from a confidential client whose secret was verified before, asking for
/// scopes or resources it is allowed. It checks what OpenIddict checks and issues the same token and
/// response (see <see cref="AccessTokenWriter"/>); anything else (a first or wrong secret, an unknown
/// client or scope, an unusual parameter, a client with settings it does not know) it leaves to
/// OpenIddict, which then answers exactly as it always does, errors included.
/// </summary>
/// <remarks>
/// Runs after <see cref="ProtocolRequestGuard"/>, which has already refused oversized bodies,
/// unparseable forms and repeated parameters. Whether it runs at all is decided once by
/// <see cref="ClientCredentialsFastPathState"/>.
/// </remarks>
public sealed class ClientCredentialsFastPath(
    RequestDelegate next,
    ClientCredentialsFastPathState state,
    ClientRegistrationCache registrations,
    VerifiedSecretCache secrets,
    ScopeResourceCatalog scopeCatalog,
    TokenMetrics metrics,
    CredentialUseCounter credentialUses)
{
    private const string FormContentType = "application/x-www-form-urlencoded";
    private const int MaxCachedIssuers = 64;
    private const string DPoPHeader = "DPoP";

    private static readonly JsonWriterOptions IndentedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };
    private static readonly JsonWriterOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ConcurrentDictionary<string, string> _issuers = new(StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context)
    {
        if (HttpMethods.IsPost(context.Request.Method)
            && state.Settings is { } settings
            && settings.TokenEndpointPaths.Contains(context.Request.Path.Value ?? "")
            && await TryIssueAsync(context, settings))
        {
            return;
        }

        await next(context);
    }

    private async ValueTask<bool> TryIssueAsync(HttpContext context, ClientCredentialsFastPathSettings settings)
    {
        var request = context.Request;
        if (request.PathBase.HasValue || request.QueryString.HasValue || !request.Host.HasValue
            || (settings.RequireHttps && !request.IsHttps)
            || !IsFormContentType(request.ContentType)
            // A proof-of-possession request (RFC 9449) asks for a bound token, which only OpenIddict issues.
            || request.Headers.ContainsKey(DPoPHeader))
        {
            return false;
        }

        var form = await request.ReadFormAsync(context.RequestAborted);
        if (!TryReadParameters(form, out var parameters))
        {
            return false;
        }

        if (!TryAuthenticate(request.Headers.Authorization, settings, ref parameters))
        {
            return false;
        }

        var cancellationToken = context.RequestAborted;
        var registration = await registrations.GetAsync(parameters.ClientId!, cancellationToken);
        if (registration is not { IsEligible: true, SecretHash: { } secretHash }
            || !registration.Permissions.Contains(Permissions.Endpoints.Token)
            || !registration.Permissions.Contains(Permissions.GrantTypes.ClientCredentials)
            // Only a secret OpenIddict has verified before passes here; a first or wrong one takes the full path.
            || !secrets.IsKnownGood(secretHash, parameters.ClientSecret!))
        {
            return false;
        }

        var requestedScopes = ImmutableArray<string>.Empty;
        if (parameters.Scope is { } scope)
        {
            if (!TrySplitScopes(scope, out requestedScopes))
            {
                return false;
            }

            foreach (var name in requestedScopes)
            {
                if (!registration.Scopes.Contains(name)
                    || (!settings.RegisteredScopes.Contains(name) && await scopeCatalog.FindAsync(name, cancellationToken) is null))
                {
                    return false;
                }
            }
        }

        var requestedResources = ImmutableArray<string>.Empty;
        if (!StringValues.IsNullOrEmpty(parameters.Resources))
        {
            var builder = ImmutableArray.CreateBuilder<string>(parameters.Resources.Count);
            foreach (var resource in parameters.Resources)
            {
                if (string.IsNullOrEmpty(resource) || builder.Contains(resource)
                    || !registration.Resources.Contains(resource)
                    || !Uri.TryCreate(resource, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.Fragment)
                    || !settings.RegisteredResources.Contains(uri))
                {
                    return false;
                }

                builder.Add(resource);
            }

            requestedResources = builder.MoveToImmutable();
        }

        var grantedScopes = requestedScopes.IsEmpty ? registration.AllowedScopes : requestedScopes;
        var audiences = await ClientCredentialsGrant.AudiencesAsync(grantedScopes, requestedResources, scopeCatalog, cancellationToken);
        if (audiences.Count == 0 || IssuerOf(request, settings) is not { } issuer)
        {
            return false;
        }

        var lifetime = registration.AccessTokenLifetime ?? settings.AccessTokenLifetime;
        var clientId = registration.ClientId;
        var token = settings.Writer.Write(
            issuer, settings.Time.GetUtcNow(), lifetime, audiences, grantedScopes, clientId, registration.DisplayName ?? clientId);

        // OpenIddict names the granted scopes in the response only when they differ from those asked for.
        var scopeParameter = requestedScopes.Length == grantedScopes.Length && requestedScopes.All(grantedScopes.Contains)
            ? null
            : string.Join(' ', grantedScopes);
        await WriteResponseAsync(context.Response, settings, token, (long)lifetime.TotalSeconds, scopeParameter, cancellationToken);
        metrics.GrantIssued(GrantTypes.ClientCredentials, TokenMetrics.FastPath);
        credentialUses.Count(AuditEventTypes.ClientAuthSucceeded, clientId, context.Connection.RemoteIpAddress, ClientAuthenticationAudit.TokenEndpoint);
        return true;
    }

    private static bool IsFormContentType(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
        && mediaType.MediaType.Equals(FormContentType, StringComparison.OrdinalIgnoreCase)
        && (!mediaType.Charset.HasValue || mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The parameters of a plain client-credentials request: any other parameter, an empty value or a
    /// repeated one (bar <c>resource</c>) leaves the request to OpenIddict.
    /// </summary>
    private static bool TryReadParameters(IFormCollection form, out TokenRequestParameters parameters)
    {
        parameters = default;
        foreach (var (key, value) in form)
        {
            if (key == Parameters.Resource)
            {
                parameters.Resources = value;
                continue;
            }

            if (value.Count != 1 || string.IsNullOrEmpty(value[0]))
            {
                return false;
            }

            switch (key)
            {
                case Parameters.GrantType: parameters.GrantType = value[0]; break;
                case Parameters.Scope: parameters.Scope = value[0]; break;
                case Parameters.ClientId: parameters.ClientId = value[0]; break;
                case Parameters.ClientSecret: parameters.ClientSecret = value[0]; break;
                default: return false;
            }
        }

        return parameters.GrantType == GrantTypes.ClientCredentials;
    }

    /// <summary>
    /// Client credentials from exactly one place: the Basic header (read as OpenIddict reads it) or the
    /// form. Both at once, or anything but Basic in the header, is left to OpenIddict.
    /// </summary>
    private static bool TryAuthenticate(StringValues authorization, ClientCredentialsFastPathSettings settings, ref TokenRequestParameters parameters)
    {
        if (authorization.Count == 0)
        {
            return settings.AllowsClientSecretPost && parameters.ClientId is not null && parameters.ClientSecret is not null;
        }

        if (authorization.Count > 1 || parameters.ClientId is not null || parameters.ClientSecret is not null
            || !settings.AllowsClientSecretBasic
            || !BasicCredentials.TryRead(authorization[0], out var clientId, out var clientSecret))
        {
            return false;
        }

        parameters.ClientId = clientId;
        parameters.ClientSecret = clientSecret;
        return true;
    }

    /// <summary>Space-separated scope names; an empty or repeated name leaves the request to OpenIddict.</summary>
    private static bool TrySplitScopes(string scope, out ImmutableArray<string> scopes)
    {
        var names = scope.Split(' ');
        scopes = [.. names];
        return names.All(name => name.Length > 0) && names.Distinct(StringComparer.Ordinal).Count() == names.Length;
    }

    /// <summary>The issuer OpenIddict would use: the configured one, or the request's own base address.</summary>
    private string? IssuerOf(HttpRequest request, ClientCredentialsFastPathSettings settings)
    {
        if (settings.Issuer is { } configured)
        {
            return configured;
        }

        var key = request.Scheme + Uri.SchemeDelimiter + request.Host.ToUriComponent();
        if (_issuers.TryGetValue(key, out var issuer))
        {
            return issuer;
        }

        if (!Uri.TryCreate(key, UriKind.Absolute, out var uri))
        {
            return null;
        }

        if (_issuers.Count < MaxCachedIssuers)
        {
            _issuers.TryAdd(key, uri.AbsoluteUri);
        }

        return uri.AbsoluteUri;
    }

    /// <summary>The token response as OpenIddict writes it: same fields, order, headers and formatting.</summary>
    private static async ValueTask WriteResponseAsync(
        HttpResponse response, ClientCredentialsFastPathSettings settings, string token, long expiresIn, string? scope,
        CancellationToken cancellationToken)
    {
        var body = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(body, settings.IndentJson ? IndentedJson : CompactJson))
        {
            json.WriteStartObject();
            json.WriteString(Parameters.AccessToken, token);
            json.WriteString(Parameters.TokenType, TokenTypes.Bearer);
            json.WriteNumber(Parameters.ExpiresIn, expiresIn);
            if (scope is not null)
            {
                json.WriteString(Parameters.Scope, scope);
            }

            json.WriteEndObject();
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        response.Headers.Expires = "Thu, 01 Jan 1970 00:00:00 GMT";
        response.ContentLength = body.WrittenCount;
        response.ContentType = "application/json;charset=UTF-8";
        await response.Body.WriteAsync(body.WrittenMemory, cancellationToken);
    }

    private struct TokenRequestParameters
    {
        public string? GrantType;
        public string? Scope;
        public string? ClientId;
        public string? ClientSecret;
        public StringValues Resources;
    }
}
