using Gatehouse.ResourceServer;
using Gatehouse.Samples.UserInfo.Profiles;
using Gatehouse.ServiceDefaults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Samples.UserInfo;

/// <summary>Settings of the user-info service (section <c>UserInfo</c>).</summary>
public sealed class UserInfoOptions
{
    public const string Section = "UserInfo";

    /// <summary>This service's client at the identity service, allowed <c>gatehouse:events</c> and <c>gatehouse:revocations</c>.</summary>
    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary><c>Sqlite</c> (default) or <c>PostgreSQL</c>.</summary>
    public string DatabaseProvider { get; set; } = "Sqlite";
}

public static class UserInfoExtensions
{
    /// <summary>The kit, the profile store and the feed follower, from configuration.</summary>
    public static WebApplicationBuilder AddUserInfoService(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.AddOptions<UserInfoOptions>().Bind(configuration.GetSection(UserInfoOptions.Section))
            .Validate(o => !string.IsNullOrWhiteSpace(o.ClientId) && !string.IsNullOrEmpty(o.ClientSecret),
                "UserInfo:ClientId and UserInfo:ClientSecret are required: a client allowed the gatehouse:events and gatehouse:revocations scopes.")
            .Validate(o => o.DatabaseProvider is "Sqlite" or "PostgreSQL", "UserInfo:DatabaseProvider is 'Sqlite' or 'PostgreSQL'.")
            .ValidateOnStart();

        var userInfo = configuration.GetSection(UserInfoOptions.Section).Get<UserInfoOptions>() ?? new UserInfoOptions();
        builder.Services.AddGatehouseResourceServer(o =>
        {
            configuration.GetSection(GatehouseResourceServerOptions.Section).Bind(o);
            o.Revocation.ClientId ??= userInfo.ClientId;
            o.Revocation.ClientSecret ??= userInfo.ClientSecret;
        });

        var connection = configuration.GetConnectionString("UserInfo") ?? "Data Source=data/userinfo.db";
        builder.Services.AddDbContext<ProfileStore>(db =>
        {
            if (userInfo.DatabaseProvider == "PostgreSQL")
            {
                db.UseNpgsql(connection);
            }
            else
            {
                db.UseSqlite(connection);
            }
        });
        builder.Services.AddSingleton<UserFeedFollower>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<UserFeedFollower>());
        return builder;
    }

    /// <summary>Creates the store if needed, then maps the API and the health endpoints.</summary>
    public static async Task<WebApplication> UseUserInfoServiceAsync(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<UserInfoOptions>>().Value;
        if (options.DatabaseProvider == "Sqlite")
        {
            Directory.CreateDirectory("data");
        }

        await using (var scope = app.Services.CreateAsyncScope())
        {
            // A sample: the schema is created, not migrated.
            await scope.ServiceProvider.GetRequiredService<ProfileStore>().Database.EnsureCreatedAsync();
        }

        app.UseAuthentication();
        app.UseAuthorization();
        app.MapProfilesApi();
        app.MapDefaultEndpoints();
        return app;
    }
}
