using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.ResourceServer.Permissions;

/// <summary>Object-level permissions of this service: check, list, grant and revoke.</summary>
public interface IObjectPermissions
{
    /// <summary>
    /// Whether <paramref name="userId"/> has <paramref name="relation"/> on the object, directly or
    /// through any group it belongs to (groups may contain groups). One indexed query, then
    /// remembered for <see cref="PermissionOptions.CheckCacheDuration"/>.
    /// </summary>
    ValueTask<bool> CheckAsync(string userId, string relation, string objectType, string objectId, CancellationToken cancellationToken = default);

    /// <summary>Ids of the objects of <paramref name="objectType"/> on which the user has <paramref name="relation"/>, in order.</summary>
    Task<IReadOnlyList<string>> ListObjectsAsync(string userId, string relation, string objectType, int limit = 1000, CancellationToken cancellationToken = default);

    /// <summary>Stores <paramref name="tuple"/>; false when it was already there.</summary>
    Task<bool> GrantAsync(RelationTuple tuple, CancellationToken cancellationToken = default);

    /// <summary>Removes <paramref name="tuple"/>; false when it was not there.</summary>
    Task<bool> RevokeAsync(RelationTuple tuple, CancellationToken cancellationToken = default);

    /// <summary>Stored tuples, optionally only those of one object and/or one subject, ordered by row id, after <paramref name="afterId"/>.</summary>
    Task<IReadOnlyList<(long Id, RelationTuple Tuple)>> ListTuplesAsync(
        string? objectType, string? objectId, PermissionSubject? subject, long afterId, int limit, CancellationToken cancellationToken = default);
}

/// <summary>Settings of object-level permissions.</summary>
public sealed class PermissionOptions
{
    /// <summary>
    /// How long a check's answer is remembered. Grants and revocations made through this process
    /// apply at once; made through another instance of the service, within this time. Zero turns the
    /// cache off. Default 5 seconds.
    /// </summary>
    public TimeSpan CheckCacheDuration { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// <see cref="IObjectPermissions"/> on the permission table of <typeparamref name="TContext"/>. A check
/// is one query: a recursive CTE collects the user's groups (through nested groups, cycles harmless),
/// then one lookup on the table's unique index answers.
/// </summary>
/// <typeparam name="TContext">The service's database context, whose model includes the permission table.</typeparam>
public sealed partial class ObjectPermissions<TContext>(
    IServiceScopeFactory scopes,
    IMemoryCache cache,
    IOptions<PermissionOptions> options,
    TimeProvider time,
    ILogger<ObjectPermissions<TContext>> logger) : IObjectPermissions where TContext : DbContext
{
    private const string MemberOf = $"""
        WITH RECURSIVE member_of(id) AS (
            SELECT object_id FROM {PermissionModel.Table}
             WHERE subject_type = 'user' AND subject_id = {"{0}"} AND object_type = 'group' AND relation = 'member'
            UNION
            SELECT t.object_id FROM {PermissionModel.Table} t JOIN member_of m ON t.subject_id = m.id
             WHERE t.subject_type = 'group' AND t.object_type = 'group' AND t.relation = 'member'
        )
        """;

    private readonly TimeSpan _cacheDuration = options.Value.CheckCacheDuration;
    private long _generation;

    /// <inheritdoc />
    public async ValueTask<bool> CheckAsync(string userId, string relation, string objectType, string objectId, CancellationToken cancellationToken = default)
    {
        if (!RelationTuple.IsId(userId) || !RelationTuple.IsName(relation) || !RelationTuple.IsName(objectType) || !RelationTuple.IsId(objectId))
        {
            return false;
        }

        var key = new CheckKey(Interlocked.Read(ref _generation), userId, relation, objectType, objectId);
        if (_cacheDuration > TimeSpan.Zero && cache.TryGetValue(key, out bool cached))
        {
            return cached;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var allowed = await db.Database.SqlQueryRaw<int>(
            MemberOf + $"""
            SELECT CASE WHEN EXISTS (
                SELECT 1 FROM {PermissionModel.Table} p
                 WHERE p.object_type = {"{1}"} AND p.object_id = {"{2}"} AND p.relation = {"{3}"}
                   AND ((p.subject_type = 'user' AND p.subject_id = {"{0}"})
                     OR (p.subject_type = 'group' AND p.subject_id IN (SELECT id FROM member_of)))
            ) THEN 1 ELSE 0 END AS "Value"
            """,
            userId, objectType, objectId, relation).ToListAsync(cancellationToken) is [1];

        if (_cacheDuration > TimeSpan.Zero)
        {
            cache.Set(key, allowed, _cacheDuration);
        }

        return allowed;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ListObjectsAsync(string userId, string relation, string objectType, int limit = 1000, CancellationToken cancellationToken = default)
    {
        if (!RelationTuple.IsId(userId) || !RelationTuple.IsName(relation) || !RelationTuple.IsName(objectType))
        {
            return [];
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        return await db.Database.SqlQueryRaw<string>(
            MemberOf + $"""
            SELECT DISTINCT p.object_id AS "Value" FROM {PermissionModel.Table} p
             WHERE p.object_type = {"{1}"} AND p.relation = {"{2}"}
               AND ((p.subject_type = 'user' AND p.subject_id = {"{0}"})
                 OR (p.subject_type = 'group' AND p.subject_id IN (SELECT id FROM member_of)))
             ORDER BY 1
             LIMIT {"{3}"}
            """,
            userId, objectType, relation, Math.Clamp(limit, 1, 10_000)).ToListAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<bool> GrantAsync(RelationTuple tuple, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var tuples = db.Set<PermissionTupleEntity>();
        if (await Matching(tuples, tuple).AnyAsync(cancellationToken))
        {
            return false;
        }

        tuples.Add(new PermissionTupleEntity
        {
            ObjectType = tuple.ObjectType,
            ObjectId = tuple.ObjectId,
            Relation = tuple.Relation,
            SubjectType = tuple.Subject.Type,
            SubjectId = tuple.Subject.Id,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Granted at the same moment by another request, the unique index kept one row; anything else is an outage.
            if (await Matching(tuples.AsNoTracking(), tuple).AnyAsync(cancellationToken))
            {
                return false;
            }

            throw;
        }
        finally
        {
            Interlocked.Increment(ref _generation);
        }

        LogGranted(logger, tuple.ToString());
        return true;
    }

    /// <inheritdoc />
    public async Task<bool> RevokeAsync(RelationTuple tuple, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var removed = await Matching(db.Set<PermissionTupleEntity>(), tuple).ExecuteDeleteAsync(cancellationToken);
        Interlocked.Increment(ref _generation);
        if (removed > 0)
        {
            LogRevoked(logger, tuple.ToString());
        }

        return removed > 0;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<(long Id, RelationTuple Tuple)>> ListTuplesAsync(
        string? objectType, string? objectId, PermissionSubject? subject, long afterId, int limit, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var query = scope.ServiceProvider.GetRequiredService<TContext>().Set<PermissionTupleEntity>().AsNoTracking()
            .Where(t => t.Id > afterId);
        if (objectType is not null)
        {
            query = query.Where(t => t.ObjectType == objectType);
        }

        if (objectId is not null)
        {
            query = query.Where(t => t.ObjectId == objectId);
        }

        if (subject is { } s)
        {
            query = query.Where(t => t.SubjectType == s.Type && t.SubjectId == s.Id);
        }

        var rows = await query.OrderBy(t => t.Id).Take(Math.Clamp(limit, 1, 1000)).ToListAsync(cancellationToken);
        return [.. rows.Select(row => (row.Id, row.ToTuple()))];
    }

    private static IQueryable<PermissionTupleEntity> Matching(IQueryable<PermissionTupleEntity> tuples, RelationTuple tuple) =>
        tuples.Where(t => t.ObjectType == tuple.ObjectType && t.ObjectId == tuple.ObjectId && t.Relation == tuple.Relation
                          && t.SubjectType == tuple.Subject.Type && t.SubjectId == tuple.Subject.Id);

    private sealed record CheckKey(long Generation, string UserId, string Relation, string ObjectType, string ObjectId);

    [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "Permission granted: {Tuple}")]
    private static partial void LogGranted(ILogger logger, string tuple);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Information, Message = "Permission revoked: {Tuple}")]
    private static partial void LogRevoked(ILogger logger, string tuple);
}
