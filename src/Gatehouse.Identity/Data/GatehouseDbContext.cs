using Gatehouse.Identity.Data.Accounts;
using Gatehouse.Identity.Data.Users;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Data;

/// <summary>
/// The identity service's database: users and credentials (ASP.NET Core Identity), OpenIddict's
/// applications, authorizations, scopes and tokens, server keys and Data Protection keys.
/// Each provider has its own subclass so that each keeps its own migrations.
/// </summary>
public abstract class GatehouseDbContext(DbContextOptions options)
    : IdentityDbContext<GatehouseUser, GatehouseRole, Guid>(options), IDataProtectionKeyContext
{
    public DbSet<ServerKey> ServerKeys => Set<ServerKey>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<RefreshTokenFamily> RefreshTokenFamilies => Set<RefreshTokenFamily>();

    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();

    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    public DbSet<Connect.BackChannelLogoutDelivery> BackChannelLogoutDeliveries => Set<Connect.BackChannelLogoutDelivery>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.UseOpenIddict();

        builder.Entity<GatehouseUser>(user =>
        {
            user.ToTable("users");
            user.Property(u => u.DisplayName).HasMaxLength(200);
            user.Property(u => u.Status).HasConversion<int>();
            user.Property(u => u.BanReason).HasMaxLength(200);
            user.SplitToTable("user_credentials", credentials =>
            {
                credentials.Property(u => u.Id).HasColumnName("UserId");
                credentials.Property(u => u.PasswordHash);
                credentials.Property(u => u.SecurityStamp);
                credentials.Property(u => u.CredentialVersion);
                credentials.Property(u => u.TwoFactorEnabled);
                credentials.Property(u => u.LockoutEnd);
                credentials.Property(u => u.LockoutEnabled);
                credentials.Property(u => u.AccessFailedCount);
            });
        });

        builder.Entity<GatehouseRole>().ToTable("roles");
        builder.Entity<IdentityUserRole<Guid>>().ToTable("user_roles");
        builder.Entity<IdentityUserClaim<Guid>>().ToTable("user_claims");
        builder.Entity<IdentityUserLogin<Guid>>().ToTable("user_logins");
        builder.Entity<IdentityUserToken<Guid>>().ToTable("user_tokens");
        builder.Entity<IdentityRoleClaim<Guid>>().ToTable("role_claims");

        builder.Entity<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication>().ToTable("oidc_applications");
        builder.Entity<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreAuthorization>().ToTable("oidc_authorizations");
        builder.Entity<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreScope>().ToTable("oidc_scopes");
        builder.Entity<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreToken>().ToTable("oidc_tokens");

        builder.Entity<ServerKey>(key =>
        {
            key.ToTable("server_keys");
            key.HasKey(k => k.Id);
            key.Property(k => k.Id).HasMaxLength(64);
            key.Property(k => k.Algorithm).HasMaxLength(16);
            key.Property(k => k.Use).HasConversion<int>();
            key.HasIndex(k => new { k.Use, k.RetiredAt });
        });

        builder.Entity<DataProtectionKey>().ToTable("data_protection_keys");

        builder.Entity<RefreshTokenFamily>(family =>
        {
            family.ToTable("refresh_token_families");
            family.HasKey(f => f.Id);
            family.Property(f => f.ClientId).HasMaxLength(100);
            family.Property(f => f.RevokedReason).HasMaxLength(64);
            family.HasIndex(f => f.UserId);
            family.HasOne<GatehouseUser>().WithMany().HasForeignKey(f => f.UserId).OnDelete(DeleteBehavior.Cascade);
            family.HasMany(f => f.Tokens).WithOne().HasForeignKey(t => t.FamilyId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<RefreshToken>(token =>
        {
            token.ToTable("refresh_tokens");
            token.HasKey(t => t.Id);
            token.Property(t => t.Hash).HasMaxLength(32);
            token.HasIndex(t => t.Hash).IsUnique();
            token.HasIndex(t => t.FamilyId);
        });

        builder.Entity<AuditEvent>(audit =>
        {
            audit.ToTable("audit_events");
            audit.HasKey(a => a.Id);
            audit.Property(a => a.Type).HasMaxLength(64);
            audit.Property(a => a.ClientId).HasMaxLength(100);
            audit.Property(a => a.IpAddress).HasMaxLength(45);
            audit.Property(a => a.Reason).HasMaxLength(64);
            audit.HasIndex(a => new { a.UserId, a.OccurredAt });
            audit.HasIndex(a => new { a.Type, a.OccurredAt });
            audit.HasIndex(a => new { a.ClientId, a.OccurredAt });
            audit.HasIndex(a => a.OccurredAt);
        });

        builder.Entity<Connect.BackChannelLogoutDelivery>(delivery =>
        {
            delivery.ToTable("backchannel_logout_deliveries");
            delivery.HasKey(d => d.Id);
            delivery.Property(d => d.ClientId).HasMaxLength(100);
            delivery.Property(d => d.Subject).HasMaxLength(200);
            delivery.Property(d => d.SessionId).HasMaxLength(100);
            delivery.Property(d => d.Issuer).HasMaxLength(500);
            delivery.Property(d => d.LastError).HasMaxLength(200);
            delivery.HasIndex(d => new { d.ClientId, d.Subject, d.SessionId }).IsUnique();
            delivery.HasIndex(d => d.NextAttemptAt);
        });
    }
}

/// <summary>The embedded default: a SQLite file.</summary>
public sealed class SqliteGatehouseDbContext(DbContextOptions<SqliteGatehouseDbContext> options) : GatehouseDbContext(options);

/// <summary>Production: PostgreSQL through Npgsql.</summary>
public sealed class PostgreSqlGatehouseDbContext(DbContextOptions<PostgreSqlGatehouseDbContext> options) : GatehouseDbContext(options)
{
    /// <summary>The collation in which client ids are paged: byte order, whatever the database's own collation.</summary>
    public const string ClientIdPagingCollation = "C";

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);

        // The admin client list pages in byte order (COLLATE "C"); the unique index on ClientId has the
        // database's collation, so without this one each page would sort the whole table. (SQLite's
        // default collation is already byte order, so its unique index serves.)
        builder.Entity<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication>()
            .HasIndex(application => application.ClientId, "IX_oidc_applications_ClientId_bytes")
            .UseCollation(ClientIdPagingCollation);
    }
}
