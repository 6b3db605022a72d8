using Gatehouse.ResourceServer.Revocation;
using Gatehouse.ResourceServer.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gatehouse.ResourceServer;

/// <summary>The one call a service makes to trust Gatehouse access tokens.</summary>
public static class ResourceServerExtensions
{
    /// <summary>
    /// Adds the <c>Gatehouse</c> bearer scheme (the default scheme), authorization, the revocation
    /// feed reader and its health check. Settings are checked when the host starts.
    /// </summary>
    /// <example>
    /// <code>
    /// builder.Services.AddGatehouseResourceServer(o =>
    /// {
    ///     o.Authority = new Uri("https://id.example.com/");
    ///     o.Audience = "images-api";
    ///     o.Revocation.RedisConnection = "redis:6379";
    /// });
    /// </code>
    /// </example>
    public static IServiceCollection AddGatehouseResourceServer(this IServiceCollection services, Action<GatehouseResourceServerOptions> configure)
    {
        services.AddOptions<GatehouseResourceServerOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatehouseResourceServerOptions>, GatehouseResourceServerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<AuthorityBackchannel>();
        services.TryAddSingleton<AuthorityMetadata>();
        services.TryAddSingleton<AccessTokenValidator>();
        services.TryAddSingleton<RevocationFeedStatus>();
        services.TryAddSingleton<RevocationList>();
        services.AddHostedService<RevocationFeedHost>();
        services.AddProblemDetails();

        services.AddAuthentication(GatehouseResourceServerDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, GatehouseAuthenticationHandler>(GatehouseResourceServerDefaults.AuthenticationScheme, null);
        services.AddAuthorization();
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            RevocationFeedHealthCheck.Name,
            provider => ActivatorUtilities.CreateInstance<RevocationFeedHealthCheck>(provider),
            HealthStatus.Unhealthy,
            [GatehouseResourceServerDefaults.ReadyTag]));
        return services;
    }
}

/// <summary>Starts the right revocation feed reader for the settings, and reads the authority's keys once at start-up.</summary>
internal sealed class RevocationFeedHost(IServiceProvider services, IOptions<GatehouseResourceServerOptions> options, AuthorityMetadata metadata) : IHostedService
{
    private BackgroundService? _reader;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Best effort: a token arriving before the keys are read reads them itself.
        _ = metadata.GetAsync(cancellationToken).AsTask();

        var feed = options.Value.Revocation;
        if (feed.Disabled)
        {
            return;
        }

        _reader = string.IsNullOrWhiteSpace(feed.RedisConnection)
            ? ActivatorUtilities.CreateInstance<HttpRevocationFeedReader>(services)
            : ActivatorUtilities.CreateInstance<RedisRevocationFeedReader>(services);
        await _reader.StartAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_reader is not null)
        {
            await _reader.StopAsync(cancellationToken);
            _reader.Dispose();
        }
    }
}
