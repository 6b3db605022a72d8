using System.Collections.Frozen;
using Gatehouse.Identity.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// The custom OpenIddict handlers the client-credentials fast path knows about. The fast path issues
/// tokens without running OpenIddict's pipeline, so a custom handler that would run during a
/// client-credentials token request and is not listed here switches the fast path off (with a
/// warning at start-up) rather than being silently skipped.
/// </summary>
/// <remarks>
/// Adding a handler to OpenIddict: if it cannot change how a client-credentials token request is
/// validated or answered (it is filtered to another grant, or only acts on presented tokens), add it
/// to <see cref="Handlers"/> with that reason. If it does change it, teach the fast path the same
/// behaviour first, and extend its equivalence test.
/// </remarks>
public static class KnownTokenRequestHandlers
{
    /// <summary>
    /// The OpenIddict events raised while the server answers a client-credentials token request of the
    /// kind the fast path takes (no client assertion, no presented token, no error). Custom handlers of
    /// other events (introspection, revocation, authorization, userinfo, token validation) cannot
    /// affect such a request.
    /// </summary>
    public static readonly FrozenSet<Type> TokenRequestEvents = FrozenSet.ToFrozenSet(
    [
        typeof(ProcessRequestContext),
        typeof(ExtractTokenRequestContext),
        typeof(ValidateTokenRequestContext),
        typeof(HandleTokenRequestContext),
        typeof(ApplyTokenResponseContext),
        typeof(ProcessAuthenticationContext),
        typeof(ProcessSignInContext),
        typeof(GenerateTokenContext),
    ]);

    /// <summary>Custom handlers of those events, each with why the fast path may go without it.</summary>
    public static readonly FrozenDictionary<Type, string> Handlers = new Dictionary<Type, string>
    {
        [typeof(ClientCredentialsGrant)] =
            "the fast path grants the same scopes and audiences through the same helpers",
        [typeof(SkipAccessTokenEntry)] =
            "the fast path stores no JWT access token either",
        [typeof(ReferenceAccessTokensPerClient)] =
            "it acts only for clients that receive reference access tokens, which the fast path leaves to OpenIddict (CachedClient)",
        [typeof(UserGrantCheck)] =
            "it acts only on authorization-code and refresh-token grants",
        [typeof(TokenExchangeGrant)] =
            "it acts only on the token-exchange grant",
        [typeof(RecordClientAuthentication)] =
            "the fast path counts the same successful client authentication (CredentialUseCounter)",
        [typeof(RecordGrant)] =
            "it records only codes, refresh tokens and subject tokens; a client-credentials request presents none",
        [typeof(SessionIdInAccessTokens)] =
            "it acts only on tokens issued under an authorization; client-credentials tokens have none",
        [typeof(TokenExchangePartyCheck)] =
            "for other grants it runs OpenIddict's authorized-party check, which concerns presented codes and tokens; a client-credentials request presents none",
    }.ToFrozenDictionary();

    /// <summary>The custom handlers of <paramref name="server"/> that would run on a token request and are not known.</summary>
    public static IEnumerable<OpenIddictServerHandlerDescriptor> Unknown(OpenIddictServerOptions server) =>
        server.Handlers.Where(handler =>
            handler.Type == OpenIddictServerHandlerType.Custom
            && TokenRequestEvents.Contains(handler.ContextType)
            && !Handlers.ContainsKey(handler.ServiceDescriptor.ServiceType));
}

/// <summary>What the fast path reads from the server's configuration, fixed once it is found usable.</summary>
public sealed record ClientCredentialsFastPathSettings(
    FrozenSet<string> TokenEndpointPaths,
    string? Issuer,
    bool RequireHttps,
    bool IndentJson,
    bool AllowsClientSecretBasic,
    bool AllowsClientSecretPost,
    TimeSpan AccessTokenLifetime,
    FrozenSet<string> RegisteredScopes,
    FrozenSet<Uri> RegisteredResources,
    AccessTokenWriter Writer,
    TimeProvider Time);

/// <summary>
/// Decides once, from the OpenIddict server as configured, whether the client-credentials fast path
/// may run, and logs why when it may not.
/// </summary>
public sealed partial class ClientCredentialsFastPathState(
    IOptions<GatehouseOptions> gatehouse,
    IOptionsMonitor<OpenIddictServerOptions> server,
    IOptionsMonitor<OpenIddictServerAspNetCoreOptions> aspNetCore,
    ILogger<ClientCredentialsFastPathState> logger)
    : TokenPathDecision<ClientCredentialsFastPathSettings>(
        () => LogActive(logger),
        () => LogSwitchedOff(logger, TokenOptions.ClientCredentialsFastPathKey),
        reasons => LogDisabled(logger, reasons))
{
    protected override string SwitchKey => TokenOptions.ClientCredentialsFastPathKey;

    protected override bool IsSwitchedOn => gatehouse.Value.Tokens.ClientCredentialsFastPath;

    protected override ClientCredentialsFastPathSettings? Check(List<string> reasons)
    {
        var options = server.CurrentValue;
        var host = aspNetCore.CurrentValue;

        reasons.AddRange(KnownTokenRequestHandlers.Unknown(options).Select(NotKnown));

        if (!options.GrantTypes.Contains(GrantTypes.ClientCredentials))
        {
            reasons.Add("the client-credentials grant is not enabled");
        }

        if (host.EnableTokenEndpointPassthrough)
        {
            reasons.Add("the token endpoint is passed through to the application");
        }

        if (options.AccessTokenLifetime is not { } lifetime)
        {
            reasons.Add("access tokens have no lifetime");
            lifetime = default;
        }

        var paths = options.TokenEndpointUris
            .Where(uri => !uri.IsAbsoluteUri)
            .Select(uri => "/" + uri.OriginalString.TrimStart('/'))
            .ToFrozenSet(StringComparer.Ordinal);
        if (paths.Count == 0)
        {
            reasons.Add("the token endpoint has no relative address");
        }

        var writer = AccessTokenWriter.ForServer(options, reasons);
        if (reasons.Count > 0)
        {
            return null;
        }

        return new ClientCredentialsFastPathSettings(
            paths,
            options.Issuer?.AbsoluteUri,
            !host.DisableTransportSecurityRequirement,
            !host.SuppressJsonResponseIndentation,
            options.ClientAuthenticationMethods.Contains(ClientAuthenticationMethods.ClientSecretBasic),
            options.ClientAuthenticationMethods.Contains(ClientAuthenticationMethods.ClientSecretPost),
            lifetime,
            options.Scopes.ToFrozenSet(StringComparer.Ordinal),
            options.Resources.ToFrozenSet(),
            writer!,
            options.TimeProvider ?? TimeProvider.System);
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "The client-credentials fast path is active")]
    private static partial void LogActive(ILogger logger);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "The client-credentials fast path is switched off by {Key}")]
    private static partial void LogSwitchedOff(ILogger logger, string key);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "The client-credentials fast path is disabled, every token request takes the full OpenIddict pipeline: {Reasons}")]
    private static partial void LogDisabled(ILogger logger, string reasons);
}
