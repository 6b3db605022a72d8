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
    public const string RefreshSucceeded = "refresh.succeeded";
    public const string RefreshFailed = "refresh.failed";
    public const string RefreshReuse = "refresh.reuse";
    public const string AccountDeleted = "account.deleted";
    public const string AccountDeleteFailed = "account.delete_failed";
    public const string AccountBanned = "account.banned";

    // Admin API changes: the caller's client (and user), the changed thing as the reason.
    public const string ClientCreated = "client.created";
    public const string ClientUpdated = "client.updated";
    public const string ClientDeleted = "client.deleted";
    public const string ClientSecretRotated = "client.secret_rotated";
    public const string SigningKeyRotated = "signing_key.rotated";
}

/// <summary>A filter for <see cref="AuditLog.QueryAsync"/>; unset members do not filter.</summary>
public sealed record AuditQuery(Guid? UserId = null, string? Type = null, DateTime? Since = null, int Limit = 100);

/// <summary>
/// Audit events are queued in memory and written in batches by a background service, so recording
/// one never slows a request down; <see cref="FlushAsync"/> waits until everything queued is stored.
/// </summary>
public sealed partial class AuditLog(IServiceScopeFactory scopes, TimeProvider time, ILogger<AuditLog> logger) : BackgroundService
{
    private const int BatchSize = 500;

    private readonly Channel<AuditEvent> _queue = Channel.CreateBounded<AuditEvent>(
        new BoundedChannelOptions(100_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private long _queued;
    private long _written;

    public void Record(string type, Guid? userId, string? clientId, string? ipAddress, string? reason = null)
    {
        var entry = new AuditEvent
        {
            OccurredAt = time.GetUtcNow().UtcDateTime,
            Type = type,
            UserId = userId,
            ClientId = clientId,
            IpAddress = ipAddress,
            Reason = reason,
        };
        Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(entry))
        {
            // Full: the writer is far behind, which means the database is failing. Wait rather than lose it.
            _ = _queue.Writer.WriteAsync(entry).AsTask();
        }
    }

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

        if (query.Since is { } since)
        {
            events = events.Where(e => e.OccurredAt >= since);
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
                    foreach (var entry in batch)
                    {
                        entry.Id = 0;
                    }

                    db.AuditEvents.AddRange(batch);
                    await db.SaveChangesAsync(cancellationToken);
                    break;
                }
                catch (Exception exception) when (exception is DbUpdateException or InvalidOperationException && attempt < 5 && !cancellationToken.IsCancellationRequested)
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

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "{Count} audit events could not be written and are lost")]
    private static partial void LogWriteFailed(ILogger logger, int count, Exception exception);
}
