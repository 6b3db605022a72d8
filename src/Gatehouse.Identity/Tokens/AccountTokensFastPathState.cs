using System.Collections.Frozen;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Connect;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;
using static OpenIddict.Server.OpenIddictServerHandlers;

namespace Gatehouse.Identity.Tokens;

/// <summary>
/// The OpenIddict handlers of <see cref="GenerateTokenContext"/> that the account API's direct token
/// writing knows about. <see cref="UserAccessTokens"/> dispatches only that event, so a handler of it
/// not listed here (built in or custom) switches the direct path off, with a warning at start-up,
/// rather than being silently skipped. Handlers of other events cannot touch these tokens.
/// </summary>
/// <remarks>
/// Adding a handler of <see cref="GenerateTokenContext"/>: if it leaves a plain JWT access token
/// unchanged, add it here with that reason; if it changes the token, teach
/// <see cref="AccessTokenWriter.WriteForUser"/> the same and extend its equivalence test.
/// </remarks>
public static class KnownTokenGenerationHandlers
{
    /// <summary>Each known handler, with why the direct path may go without it.</summary>
    public static readonly FrozenDictionary<Type, string> Handlers = new Dictionary<Type, string>
    {
        [typeof(Protection.AttachSecurityCredentials)] =
            "the direct path signs with the same first signing key and encrypts nothing, as this handler does for unencrypted access tokens",
        [typeof(Protection.CreateTokenEntry)] =
            "it runs only when a token entry is asked for; the account API asks for none",
        [typeof(Protection.AttachTokenSubject)] =
            "it picks the principal's claims for the payload; the direct path writes the same ones (AccessTokenWriter.WriteForUser)",
        [typeof(Protection.AttachTokenMetadata)] =
            "it adds aud, scope, jti, exp, iat, iss and typ; the direct path writes the same ones",
        [typeof(Protection.GenerateIdentityModelToken)] =
            "it has IdentityModel write and sign the token; the direct path writes the same header and payload and signs them with the same key",
        [typeof(Protection.AttachTokenPayload)] =
            "it runs only when the payload is to be stored; the account API stores none",
        [typeof(SkipAccessTokenEntry)] =
            "it only keeps JWT access tokens out of the database; the direct path stores none either",
        [typeof(ReferenceAccessTokensPerClient)] =
            "the direct path reads the same registration and leaves a client that receives reference access tokens to OpenIddict",
    }.ToFrozenDictionary();

    /// <summary>The handlers of <see cref="GenerateTokenContext"/> in <paramref name="server"/> that are not known.</summary>
    public static IEnumerable<OpenIddictServerHandlerDescriptor> Unknown(OpenIddictServerOptions server) =>
        server.Handlers.Where(handler =>
            handler.ContextType == typeof(GenerateTokenContext)
            && !Handlers.ContainsKey(handler.ServiceDescriptor.ServiceType));
}

/// <summary>What the direct path reads from the server's configuration, fixed once it is found usable.</summary>
/// <param name="Issuer">The configured issuer; null when each request's base address is the issuer.</param>
public sealed record AccountTokensFastPathSettings(string? Issuer, AccessTokenWriter Writer);

/// <summary>
/// Decides once, from the OpenIddict server as configured, whether <see cref="UserAccessTokens"/> may
/// write the account API's access tokens directly, and logs why when it may not; decides again when
/// the signing key changes (<see cref="Security.SigningKeyReload"/>). Independent of the
/// client-credentials fast path: each has its own switch and its own conditions.
/// </summary>
public sealed partial class AccountTokensFastPathState(
    IOptions<GatehouseOptions> gatehouse,
    IOptionsMonitor<OpenIddictServerOptions> server,
    ILogger<AccountTokensFastPathState> logger)
    : TokenPathDecision<AccountTokensFastPathSettings>(
        () => LogActive(logger),
        () => LogSwitchedOff(logger, TokenOptions.AccountTokensFastPathKey),
        reasons => LogDisabled(logger, reasons))
{
    protected override string SwitchKey => TokenOptions.AccountTokensFastPathKey;

    protected override bool IsSwitchedOn => gatehouse.Value.Tokens.AccountTokensFastPath;

    protected override AccountTokensFastPathSettings? Check(List<string> reasons)
    {
        var options = server.CurrentValue;
        reasons.AddRange(KnownTokenGenerationHandlers.Unknown(options).Select(NotKnown));

        var writer = AccessTokenWriter.ForServer(options, reasons);
        return reasons.Count > 0 ? null : new AccountTokensFastPathSettings(options.Issuer?.AbsoluteUri, writer!);
    }

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "The account API writes its access tokens directly")]
    private static partial void LogActive(ILogger logger);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Information, Message = "The account API's direct access tokens are switched off by {Key}")]
    private static partial void LogSwitchedOff(ILogger logger, string key);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Warning, Message = "The account API cannot write its access tokens directly, every one takes OpenIddict's token pipeline: {Reasons}")]
    private static partial void LogDisabled(ILogger logger, string reasons);
}
