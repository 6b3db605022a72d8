using System.Text.Json;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Data.Connect;
using Gatehouse.Identity.Sessions;
using Microsoft.EntityFrameworkCore;
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
/// client's registered URI. Ending a session only stores the notice (one per client and session);
/// <see cref="BackChannelLogoutOutbox"/> sends it and retries, so the user's sign-out never waits on a client.
/// </summary>
public sealed partial class BackChannelLogout(
    IOpenIddictApplicationManager applications,
    GatehouseDbContext db,
    BackChannelLogoutOutbox outbox,
    IOptionsMonitor<OpenIddictServerOptions> serverOptions,
    IOptions<GatehouseOptions> options,
    IHttpContextAccessor httpContextAccessor,
    TimeProvider clock,
    ILogger<BackChannelLogout> logger)
{
    public const string HttpClientName = "gatehouse-backchannel-logout";
    public const string EventType = "http://schemas.openid.net/event/backchannel-logout";

    /// <summary>Stores a notice for the client, unless it has no back-channel URI or one is already waiting for this session.</summary>
    public async Task NotifyAsync(string applicationId, string subject, string? sessionId, CancellationToken cancellationToken)
    {
        var application = await applications.FindByIdAsync(applicationId, cancellationToken);
        if (application is null
            || !(await applications.GetSettingsAsync(application, cancellationToken)).ContainsKey(ClientRegistration.BackChannelLogoutUriSetting)
            || await applications.GetClientIdAsync(application, cancellationToken) is not { } clientId)
        {
            return;
        }

        var session = sessionId ?? "";
        if (await db.BackChannelLogoutDeliveries.AnyAsync(d => d.ClientId == clientId && d.Subject == subject && d.SessionId == session, cancellationToken))
        {
            return;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        db.BackChannelLogoutDeliveries.Add(new BackChannelLogoutDelivery
        {
            ClientId = clientId,
            Subject = subject,
            SessionId = session,
            Issuer = Issuer(),
            CreatedAt = now,
            NextAttemptAt = now,
            GiveUpAt = now + options.Value.BackChannelLogout.GiveUpAfter,
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await db.BackChannelLogoutDeliveries.AnyAsync(d => d.ClientId == clientId && d.Subject == subject && d.SessionId == session, cancellationToken))
            {
                // Another request of the same session stored it first: one notice per client and session.
                return;
            }

            throw;
        }

        LogQueued(logger, clientId);
        outbox.Wake();
    }

    public string CreateLogoutToken(string clientId, string subject, string? sessionId, string issuer)
    {
        var claims = new Dictionary<string, object>
        {
            [Claims.Subject] = subject,
            [Claims.JwtId] = Guid.NewGuid().ToString("N"),
            ["events"] = new Dictionary<string, object> { [EventType] = new Dictionary<string, object>() },
        };
        if (!string.IsNullOrEmpty(sessionId))
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
            SigningCredentials = serverOptions.CurrentValue.SigningCredentials[0],
        });
    }

    private string Issuer()
    {
        var request = httpContextAccessor.HttpContext?.Request;
        return serverOptions.CurrentValue.Issuer?.AbsoluteUri
            ?? (request is null ? throw new InvalidOperationException("No issuer is configured and no request is in progress.")
                : $"{request.Scheme}://{request.Host}{request.PathBase}/");
    }

    [LoggerMessage(EventId = 4112, Level = LogLevel.Information, Message = "Back-channel logout for {ClientId} queued")]
    private static partial void LogQueued(ILogger logger, string clientId);
}
