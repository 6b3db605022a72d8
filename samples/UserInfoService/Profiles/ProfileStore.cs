using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Samples.UserInfo.Profiles;

/// <summary>A user's public profile as this service keeps it: a copy of what the identity service publishes.</summary>
public sealed class StoredProfile
{
    public required string UserId { get; set; }

    public string? DisplayName { get; set; }

    public string? Email { get; set; }

    public string? Picture { get; set; }

    public DateTime UpdatedAt { get; set; }
}

/// <summary>Where this service stands in the identity service's user feed.</summary>
public sealed class FeedPosition
{
    public const string UserFeed = "users";

    public required string Feed { get; set; }

    public required string Cursor { get; set; }
}

/// <summary>The service's own database: profiles and its position in the user feed. No credentials, ever.</summary>
public sealed class ProfileStore(DbContextOptions<ProfileStore> options) : DbContext(options)
{
    public DbSet<StoredProfile> Profiles => Set<StoredProfile>();

    public DbSet<FeedPosition> FeedPositions => Set<FeedPosition>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        builder.Entity<StoredProfile>(profile =>
        {
            profile.ToTable("profiles");
            profile.HasKey(p => p.UserId);
            profile.Property(p => p.UserId).HasMaxLength(64);
            profile.Property(p => p.DisplayName).HasMaxLength(200);
            profile.Property(p => p.Email).HasMaxLength(256);
            profile.Property(p => p.Picture).HasMaxLength(2048);
        });
        builder.Entity<FeedPosition>(position =>
        {
            position.ToTable("feed_positions");
            position.HasKey(p => p.Feed);
            position.Property(p => p.Feed).HasMaxLength(32);
            position.Property(p => p.Cursor).HasMaxLength(64);
        });
    }
}
