using System.Threading.Channels;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Data.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Audit;

/// <summary>The event types the account flows and the admin API record.</summary>
public static class AuditEventTypes
{
    public const string SignUpStarted = "sign_up.started";
    public const string SignUpCompleted = "sign_up.completed";
    public const string SignInSucceeded = "sign_in.succeeded";
    public const string SignInFailed = "sign_in.failed";
    public const string CodeSent = "code.sent";
    public const string CodeUsed = "code.used";
    public const string CodeFailed = "code.failed";
    public const string Lockout = "account.locked";
    public const string Logout = "logout";
    public const string PasswordChanged = "password.changed";
    public const string PasswordChangeFailed = "password.change_failed";
    public const string PasswordReset = "password.reset";
    public const string PasswordResetRequested = "password.reset_requested";
    public const string EmailChangeRequested = "email.change_requested";
    public const string EmailChangeFailed = "email.change_failed";
    public const string EmailChanged = "email.changed";

    /// <summary>A user changed their own profile (the changed member is the reason); credentials and sessions stay.</summary>
    public const string ProfileUpdated = "profile.updated";
    public const string RefreshSucceeded = "refresh.succeeded";
    public const string RefreshFailed = "refresh.failed";
    public const string RefreshReuse = "refresh.reuse";
    public const string AccountDeleted = "account.deleted";
    public const string AccountDeleteFailed = "account.delete_failed";
    public const string AccountBanned = "account.banned";
    public const string AccountUnbanned = "account.unbanned";
    public const string UserCreated = "user.created";
    public const string UserUpdated = "user.updated";
    public const string PasswordChecked = "password.checked";
    public const string PasswordCheckFailed = "password.check_failed";
    public const string RoleCreated = "role.created";
    public const string RoleDeleted = "role.deleted";
    public const string RoleGranted = "role.granted";
    public const string RoleRemoved = "role.removed";
    public const string SessionRevoked = "session.revoked";
    public const string SessionsRevoked = "sessions.revoked";

    /// <summary>A client proved who it is (counted: see <see cref="CredentialUseCounter"/>).</summary>
    public const string ClientAuthSucceeded = "client_auth.succeeded";

    /// <summary>A client failed to: a wrong or missing secret, an unknown client id. Each is recorded.</summary>
    public const string ClientAuthFailed = "client_auth.failed";

    /// <summary>A caller still waiting after failed client authentication was turned away unchecked (counted).</summary>
    public const string ClientAuthThrottled = "client_auth.throttled";

    public const string CodeRedeemed = "code.redeemed";
    public const string CodeRedeemFailed = "code.redeem_failed";
    public const string CodeReplayed = "code.replayed";
    public const string TokenExchanged = "token_exchange.succeeded";
    public const string TokenExchangeFailed = "token_exchange.failed";

    // Admin API changes: the caller's client (and user), the changed thing as the reason.
    public const string ClientCreated = "client.created";
    public const string ClientUpdated = "client.updated";
    public const string ClientDeleted = "client.deleted";
    public const string ClientSecretRotated = "client.secret_rotated";
    public const string SigningKeyRotated = "signing_key.rotated";
}

/// <summary>
/// A filter for <see cref="AuditLog.QueryAsync"/>; unset members do not filter. <see cref="Since"/> is
/// inclusive, <see cref="Until"/> exclusive; <see cref="BeforeId"/> continues a page (events older than it).
/// </summary>
public sealed record AuditQuery(
    Guid? UserId = null,
    string? Type = null,
    DateTime? Since = null,
    int Limit = 100,
    string? ClientId = null,
    DateTime? Until = null,
    long? BeforeId = null);

/// <summary>
/// Audit events are queued in memory and written in batches by a background service, so recording
/// one never slows a request down; <see cref="FlushAsync"/> waits until everything queued is stored.
/// The writer lets events gather for <see cref="GatherTime"/> after the first one arrives, so that a
/// busy node writes a few inserts per round trip rather than one round trip per event.
/// </summary>
public sealed partial class AuditLog(IServiceScopeFactory scopes, TimeProvider time, ILogger<AuditLog> logger) : BackgroundService
{
    private const int BatchSize = 500;

    /// <summary>About a minute of failures at the token endpoint's peak rate; more means the database is down.</summary>
    public const int QueueCapacity = 1_000_000;

    /// <summary>How long the writer waits for more events once one is queued.</summary>
    public static readonly TimeSpan GatherTime = TimeSpan.FromMilliseconds(50);

    private readonly Channel<AuditEvent> _queue = Channel.CreateBounded<AuditEvent>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private long _queued;
    private long _written;
    private long _dropped;

    /// <summary>Events lost because the queue was full (the database refused writes for a long time).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Record(string type, Guid? userId, string? clientId, string? ipAddress, string? reason = null, Guid? actorUserId = null) =>
        Record(type, userId, clientId, ipAddress, reason, 1, time.GetUtcNow().UtcDateTime, actorUserId);

    /// <summary>Queues one event; never waits. Caller-chosen text is cut to the column sizes so one event cannot spoil a batch.</summary>
    public void Record(string type, Guid? userId, string? clientId, string? ipAddress, string? reason, int count, DateTime occurredAt, Guid? actorUserId = null)
    {
        var entry = new AuditEvent
        {
            OccurredAt = occurredAt,
            Type = type,
            UserId = userId,
            ClientId = Fit(clientId, 100),
            ActorUserId = actorUserId,
            IpAddress = Fit(ipAddress, 45),
            Reason = Fit(reason, 64),
            Count = count,
        };
        Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(entry))
        {
            // Full: the database has refused writes for a long while. A request never waits for it.
            Interlocked.Increment(ref _written);
            if (Interlocked.Increment(ref _dropped) % 10_000 == 1)
            {
                LogDropped(logger, Dropped);
            }
        }
    }

    private static string? Fit(string? value, int length) => value is { } text && text.Length > length ? text[..length] : value;

    /// <summary>Newest first.</summary>
    public async Task<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        var events = db.AuditEvents.AsNoTracking();
        if (query.UserId is { } userId)
        {
            events = events.Where(e => e.UserId == userId);
        }

        if (query.Type is { } type)
        {
            events = events.Where(e => e.Type == type);
        }

        if (query.ClientId is { } clientId)
        {
            events = events.Where(e => e.ClientId == clientId);
        }

        if (query.Since is { } since)
        {
            events = events.Where(e => e.OccurredAt >= since);
        }

        if (query.Until is { } until)
        {
            events = events.Where(e => e.OccurredAt < until);
        }

        if (query.BeforeId is { } beforeId)
        {
            events = events.Where(e => e.Id < beforeId);
        }

        return await events.OrderByDescending(e => e.Id).Take(Math.Clamp(query.Limit, 1, 1000)).ToListAsync(cancellationToken);
    }

    /// <summary>Waits until every event recorded so far is in the database.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var target = Interlocked.Read(ref _queued);
        while (Interlocked.Read(ref _written) < target)
        {
            await Task.Delay(10, cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AuditEvent>(BatchSize);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await Task.Delay(GatherTime, stoppingToken);
                await WriteAvailableAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: store what is still queued.
            await WriteAvailableAsync(batch, CancellationToken.None);
        }
    }

    private async Task WriteAvailableAsync(List<AuditEvent> batch, CancellationToken cancellationToken)
    {
        while (true)
        {
            batch.Clear();
            while (batch.Count < BatchSize && _queue.Reader.TryRead(out var entry))
            {
                batch.Add(entry);
            }

            if (batch.Count == 0)
            {
                return;
            }

            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
                    await AuditEventBulkInsert.WriteAsync(db, batch, cancellationToken);
                    break;
                }
                catch (Exception exception) when (exception is DbUpdateException or InvalidOperationException or System.Data.Common.DbException && attempt < 5 && !cancellationToken.IsCancellationRequested)
                {
                    LogWriteRetry(logger, batch.Count, attempt, exception);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    LogWriteFailed(logger, batch.Count, exception);
                    break;
                }
            }

            Interlocked.Add(ref _written, batch.Count);
        }
    }

    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "Writing {Count} audit events failed (attempt {Attempt}); retrying")]
    private static partial void LogWriteRetry(ILogger logger, int count, int attempt, Exception exception);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "The audit queue is full; {Dropped} events were lost so far")]
    private static partial void LogDropped(ILogger logger, long dropped);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "{Count} audit events could not be written and are lost")]
    private static partial void LogWriteFailed(ILogger logger, int count, Exception exception);
}
