using Microsoft.EntityFrameworkCore;

namespace Gatehouse.ResourceServer.Permissions;

/// <summary>
/// One stored permission (a row of <c>permission_tuples</c>) in the service's own database.
/// Group subjects always mean the group's members.
/// </summary>
public sealed class PermissionTupleEntity
{
    /// <summary>Row id.</summary>
    public long Id { get; set; }

    /// <summary>Kind of object.</summary>
    public required string ObjectType { get; set; }

    /// <summary>Object id.</summary>
    public required string ObjectId { get; set; }

    /// <summary>Relation.</summary>
    public required string Relation { get; set; }

    /// <summary><c>user</c> or <c>group</c>.</summary>
    public required string SubjectType { get; set; }

    /// <summary>User or group id.</summary>
    public required string SubjectId { get; set; }

    /// <summary>When the permission was granted (UTC).</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>The tuple this row holds.</summary>
    public RelationTuple ToTuple() => new(ObjectType, ObjectId, Relation, new PermissionSubject(SubjectType, SubjectId));
}

/// <summary>The table, its columns and indexes, for any EF Core model (SQLite or PostgreSQL).</summary>
public static class PermissionModel
{
    /// <summary>The table name.</summary>
    public const string Table = "permission_tuples";

    /// <summary>
    /// Adds the permission table to a service's own model: call it from <c>OnModelCreating</c> and
    /// add a migration. The unique index doubles as the index of every check; a second one serves
    /// group membership and "what may this user reach" lookups.
    /// </summary>
    public static ModelBuilder AddGatehousePermissions(this ModelBuilder builder)
    {
        builder.Entity<PermissionTupleEntity>(tuple =>
        {
            tuple.ToTable(Table);
            tuple.HasKey(t => t.Id);
            tuple.Property(t => t.Id).HasColumnName("id");
            tuple.Property(t => t.ObjectType).HasColumnName("object_type").HasMaxLength(64);
            tuple.Property(t => t.ObjectId).HasColumnName("object_id").HasMaxLength(128);
            tuple.Property(t => t.Relation).HasColumnName("relation").HasMaxLength(64);
            tuple.Property(t => t.SubjectType).HasColumnName("subject_type").HasMaxLength(16);
            tuple.Property(t => t.SubjectId).HasColumnName("subject_id").HasMaxLength(128);
            tuple.Property(t => t.CreatedAt).HasColumnName("created_at");
            tuple.HasIndex(t => new { t.ObjectType, t.ObjectId, t.Relation, t.SubjectType, t.SubjectId })
                .IsUnique().HasDatabaseName("ix_permission_tuples_object");
            tuple.HasIndex(t => new { t.SubjectType, t.SubjectId, t.ObjectType, t.Relation })
                .HasDatabaseName("ix_permission_tuples_subject");
        });
        return builder;
    }
}

/// <summary>
/// A database context holding only the permission table, for a service that has no EF Core model of
/// its own. A service that has one calls <see cref="PermissionModel.AddGatehousePermissions"/> instead.
/// </summary>
/// <param name="options">The provider and connection (SQLite or PostgreSQL).</param>
public class GatehousePermissionsDbContext(DbContextOptions<GatehousePermissionsDbContext> options) : DbContext(options)
{
    /// <summary>The permission table.</summary>
    public DbSet<PermissionTupleEntity> PermissionTuples => Set<PermissionTupleEntity>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddGatehousePermissions();
}
