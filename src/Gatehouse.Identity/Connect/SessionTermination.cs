using System.Text.Json;
using Gatehouse.Identity.Sessions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// Ends a browser session: the cookie goes, every grant made in the session (its authorizations and
/// their refresh and reference tokens) is revoked, and clients that registered a back-channel logout
/// URI are told.
/// </summary>
public sealed partial class SessionTermination(
    IOpenIddictAuthorizationManager authorizations,
    IOpenIddictTokenManager tokens,
    BackChannelLogout backChannel,
    ILogger<SessionTermination> logger)
{
    /// <summary>Property of an ad-hoc authorization: the browser session (<c>sid</c>) it was granted in.</summary>
    public const string SessionProperty = "gh_sid";

    public async Task EndAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var session = await http.AuthenticateAsync(SessionCookie.Scheme);
        await http.SignOutAsync(SessionCookie.Scheme);
        if (session.Principal is not { } principal
            || principal.FindFirst(SessionCookie.SessionIdClaim)?.Value is not { Length: > 0 } sessionId
            || principal.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value is not { Length: > 0 } subject)
        {
            return;
        }

        await EndGrantsAsync(subject, authorization => HasSession(authorization, sessionId), sessionId, cancellationToken);
    }

    /// <summary>Revokes the user's grants that match, then notifies the clients concerned.</summary>
    public async Task EndGrantsAsync(string subject, Func<object, ValueTask<bool>> matches, string? sessionId, CancellationToken cancellationToken)
    {
        var ended = new List<(string ApplicationId, string Subject)>();
        var candidates = new List<object>();
        await foreach (var authorization in authorizations.FindBySubjectAsync(subject, cancellationToken))
        {
            candidates.Add(authorization);
        }

        foreach (var authorization in candidates)
        {
            if (!await authorizations.HasStatusAsync(authorization, Statuses.Valid, cancellationToken) || !await matches(authorization))
            {
                continue;
            }

            var id = await authorizations.GetIdAsync(authorization, cancellationToken);
            await authorizations.TryRevokeAsync(authorization, cancellationToken);
            var revoked = await tokens.RevokeByAuthorizationIdAsync(id!, cancellationToken);
            LogGrantEnded(logger, id!, revoked);
            if (await authorizations.GetApplicationIdAsync(authorization, cancellationToken) is { } applicationId)
            {
                ended.Add((applicationId, subject));
            }
        }

        foreach (var applicationId in ended.Select(entry => entry.ApplicationId).Distinct(StringComparer.Ordinal))
        {
            await backChannel.NotifyAsync(applicationId, subject, sessionId, cancellationToken);
        }
    }

    private ValueTask<bool> HasSession(object authorization, string sessionId) => HasSessionAsync(authorization, sessionId);

    private async ValueTask<bool> HasSessionAsync(object authorization, string sessionId)
    {
        var properties = await authorizations.GetPropertiesAsync(authorization);
        return properties.TryGetValue(SessionProperty, out var value)
            && value.ValueKind == JsonValueKind.String && value.GetString() == sessionId;
    }

    [LoggerMessage(EventId = 4100, Level = LogLevel.Information, Message = "Ended grant {AuthorizationId} and revoked {Count} tokens")]
    private static partial void LogGrantEnded(ILogger logger, string authorizationId, long count);
}

/// <summary>
/// OpenID Connect Back-Channel Logout 1.0: a signed logout token (<c>typ: logout+jwt</c>) POSTed to the
/// client's registered URI. A client that does not answer is logged, never retried inline: the
/// user's sign-out must not wait on it.
/// </summary>
public sealed partial class BackChannelLogout(
    IOpenIddictApplicationManager applications,
    IHttpClientFactory httpClients,
    IOptionsMonitor<OpenIddictServerOptions> serverOptions,
    IHttpContextAccessor httpContextAccessor,
    TimeProvider clock,
    ILogger<BackChannelLogout> logger)
{
    public const string HttpClientName = "gatehouse-backchannel-logout";
    public const string EventType = "http://schemas.openid.net/event/backchannel-logout";

    public async Task NotifyAsync(string applicationId, string subject, string? sessionId, CancellationToken cancellationToken)
    {
        var application = await applications.FindByIdAsync(applicationId, cancellationToken);
        if (application is null)
        {
            return;
        }

        var settings = await applications.GetSettingsAsync(application, cancellationToken);
        if (!settings.TryGetValue(ClientRegistration.BackChannelLogoutUriSetting, out var uri))
        {
            return;
        }

        var clientId = await applications.GetClientIdAsync(application, cancellationToken);
        var token = CreateLogoutToken(clientId!, subject, sessionId);
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).PostAsync(
                uri, new FormUrlEncodedContent([new("logout_token", token)]), cancellationToken);
            LogNotified(logger, clientId!, (int)response.StatusCode);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            LogUnreachable(logger, clientId!, exception.Message);
        }
    }

    public string CreateLogoutToken(string clientId, string subject, string? sessionId)
    {
        var options = serverOptions.CurrentValue;
        var request = httpContextAccessor.HttpContext?.Request;
        var issuer = options.Issuer?.AbsoluteUri
            ?? (request is null ? throw new InvalidOperationException("No issuer is configured and no request is in progress.")
                : $"{request.Scheme}://{request.Host}{request.PathBase}/");
        var claims = new Dictionary<string, object>
        {
            [Claims.Subject] = subject,
            [Claims.JwtId] = Guid.NewGuid().ToString("N"),
            ["events"] = new Dictionary<string, object> { [EventType] = new Dictionary<string, object>() },
        };
        if (sessionId is not null)
        {
            claims["sid"] = sessionId;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = clientId,
            IssuedAt = now,
            Expires = now.AddMinutes(2),
            TokenType = "logout+jwt",
            Claims = claims,
            SigningCredentials = options.SigningCredentials[0],
        });
    }

    [LoggerMessage(EventId = 4110, Level = LogLevel.Information, Message = "Back-channel logout sent to {ClientId}: HTTP {Status}")]
    private static partial void LogNotified(ILogger logger, string clientId, int status);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Warning, Message = "Back-channel logout to {ClientId} failed: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string clientId, string reason);
}
