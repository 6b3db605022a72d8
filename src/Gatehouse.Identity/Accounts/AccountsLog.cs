namespace Gatehouse.Identity.Accounts;

/// <summary>Log lines of the account flows (audit events are stored separately, as data).</summary>
internal static partial class AccountsLog
{
    [LoggerMessage(EventId = 3200, Level = LogLevel.Warning, Message = "A spent refresh token was presented by client {ClientId}; session {SessionId} of user {UserId} is revoked")]
    public static partial void RefreshTokenReused(ILogger logger, string clientId, Guid? sessionId, Guid? userId);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Warning, Message = "User {UserId} is locked out for {Wait} after repeated wrong passwords")]
    public static partial void LockedOut(ILogger logger, Guid userId, TimeSpan wait);
}
