using System.Runtime.CompilerServices;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Revocation;
using Gatehouse.ResourceServer.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Gatehouse.Identity.Feeds;

/// <summary>
/// Watches every save of users, whoever makes it (account flows, admin API, CLI): a changed security
/// stamp (password change, logout everywhere), a lockout set into the future, a ban or a deletion
/// (row removed, or status set to deleted) revokes the user's access tokens issued until now; creations, profile changes and deletions are
/// published on the user feed. Acts only after the save succeeded.
/// </summary>
public sealed partial class UserChangeInterceptor(
    IAccessTokenDenylist denylist,
    IEventLog<UserEvent> userEvents,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<UserChangeInterceptor> logger) : SaveChangesInterceptor
{
    private static readonly string[] ProfileProperties = [nameof(GatehouseUser.DisplayName), nameof(GatehouseUser.Email), nameof(GatehouseUser.UserName)];

    private readonly ConditionalWeakTable<DbContext, PendingChanges> _pending = [];

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Collect(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Collect(eventData.Context);
        return result;
    }

    public override async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        await PublishAsync(eventData.Context, cancellationToken);
        return result;
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        PublishAsync(eventData.Context, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return result;
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => Forget(eventData.Context);

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Forget(eventData.Context);
        return Task.CompletedTask;
    }

    private void Collect(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        var changes = new PendingChanges();
        var now = time.GetUtcNow();
        foreach (var entry in context.ChangeTracker.Entries<GatehouseUser>())
        {
            var id = entry.Entity.Id;
            switch (entry.State)
            {
                case EntityState.Added:
                    changes.Published[id] = UserEvent.Created;
                    break;
                case EntityState.Deleted:
                    changes.Revoked[id] = "deleted";
                    changes.Published[id] = UserEvent.Deleted;
                    break;
                case EntityState.Modified:
                    if (IsModified(entry, nameof(GatehouseUser.SecurityStamp)))
                    {
                        changes.Revoked[id] = "credentials_changed";
                    }

                    if (IsModified(entry, nameof(GatehouseUser.LockoutEnd)) && entry.Entity.LockoutEnd > now)
                    {
                        changes.Revoked[id] = "locked_out";
                    }

                    if (IsModified(entry, nameof(GatehouseUser.Status)) && entry.Entity.Status != UserStatus.Active)
                    {
                        changes.Revoked[id] = entry.Entity.Status == UserStatus.Banned ? "banned" : "deleted";
                        if (entry.Entity.Status == UserStatus.Deleted)
                        {
                            changes.Published[id] = UserEvent.Deleted;
                        }
                    }

                    if (ProfileProperties.Any(property => IsModified(entry, property)))
                    {
                        changes.Published.TryAdd(id, UserEvent.Updated);
                    }

                    break;
            }
        }

        foreach (var entry in context.ChangeTracker.Entries<IdentityUserClaim<Guid>>())
        {
            if (entry.State is EntityState.Added or EntityState.Modified or EntityState.Deleted
                && entry.Entity.ClaimType == UserDirectory.PictureClaim)
            {
                changes.Published.TryAdd(entry.Entity.UserId, UserEvent.Updated);
            }
        }

        if (changes.Revoked.Count > 0 || changes.Published.Count > 0)
        {
            _pending.AddOrUpdate(context, changes);
        }
    }

    private async ValueTask PublishAsync(DbContext? context, CancellationToken cancellationToken)
    {
        if (context is null || !_pending.TryGetValue(context, out var changes))
        {
            return;
        }

        _pending.Remove(context);
        var now = time.GetUtcNow();
        foreach (var (userId, reason) in changes.Revoked)
        {
            await denylist.RevokeSubjectAsync(userId.ToString(), now, cancellationToken);
            LogRevoked(logger, userId, reason);
        }

        if (changes.Published.Count == 0)
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        foreach (var (userId, type) in changes.Published)
        {
            var profile = type == UserEvent.Deleted ? null : await UserDirectory.ReadAsync(db, userId, cancellationToken);

            await userEvents.AppendAsync(new UserEvent
            {
                Type = profile is null ? UserEvent.Deleted : type,
                User = profile ?? new UserProfile(userId.ToString(), null, null, null),
                OccurredAt = now.ToUnixTimeMilliseconds(),
            }, cancellationToken);
        }
    }

    private void Forget(DbContext? context)
    {
        if (context is not null)
        {
            _pending.Remove(context);
        }
    }

    private static bool IsModified(EntityEntry<GatehouseUser> entry, string property) =>
        entry.Property(property) is { IsModified: true } changed && !Equals(changed.OriginalValue, changed.CurrentValue);

    private sealed class PendingChanges
    {
        public Dictionary<Guid, string> Revoked { get; } = [];

        public Dictionary<Guid, string> Published { get; } = [];
    }

    [LoggerMessage(EventId = 1701, Level = LogLevel.Information, Message = "Access tokens of user {UserId} issued until now are revoked ({Reason})")]
    private static partial void LogRevoked(ILogger logger, Guid userId, string reason);
}
