using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Data.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Bootstrap;

/// <summary>
/// Makes the database agree with the scopes, clients and first administrator in configuration.
/// Runs at every start and writes only what differs, so it is safe on every node.
/// </summary>
public sealed partial class ConfiguredRegistrations(
    IOptions<GatehouseOptions> options,
    IOpenIddictScopeManager scopeManager,
    IOpenIddictApplicationManager applicationManager,
    UserManager<GatehouseUser> userManager,
    RoleManager<GatehouseRole> roleManager,
    ILogger<ConfiguredRegistrations> logger)
{
    /// <summary>Marks applications that configuration owns (others come from the admin API).</summary>
    public const string SourceProperty = "gatehouse_source";


    public async Task ApplyAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        foreach (var (name, scope) in settings.Scopes)
        {
            await ApplyScopeAsync(name, scope, cancellationToken);
        }

        foreach (var (clientId, client) in settings.Clients)
        {
            await ApplyClientAsync(clientId, client, cancellationToken);
        }

        if (settings.Admin is { Email: { Length: > 0 } email, Password: { Length: > 0 } password })
        {
            await EnsureAdminAsync(email, password);
        }
    }

    private async Task ApplyScopeAsync(string name, ScopeOptions scope, CancellationToken cancellationToken)
    {
        var descriptor = new OpenIddictScopeDescriptor { Name = name, DisplayName = scope.DisplayName };
        descriptor.Resources.UnionWith(scope.Resources);

        var existing = await scopeManager.FindByNameAsync(name, cancellationToken);
        if (existing is null)
        {
            await scopeManager.CreateAsync(descriptor, cancellationToken);
            LogRegistered(logger, "scope", name);
            return;
        }

        var current = new OpenIddictScopeDescriptor();
        await scopeManager.PopulateAsync(current, existing, cancellationToken);
        if (current.DisplayName != descriptor.DisplayName || !current.Resources.SetEquals(descriptor.Resources))
        {
            await scopeManager.UpdateAsync(existing, descriptor, cancellationToken);
            LogUpdated(logger, "scope", name);
        }
    }

    private async Task ApplyClientAsync(string clientId, ClientOptions client, CancellationToken cancellationToken)
    {
        var descriptor = ClientRegistration.ToDescriptor(clientId, client);
        descriptor.Properties[SourceProperty] = System.Text.Json.JsonSerializer.SerializeToElement("configuration");

        var existing = await applicationManager.FindByClientIdAsync(clientId, cancellationToken);
        if (existing is null)
        {
            await applicationManager.CreateAsync(descriptor, cancellationToken);
            LogRegistered(logger, "client", clientId);
            return;
        }

        var current = new OpenIddictApplicationDescriptor();
        await applicationManager.PopulateAsync(current, existing, cancellationToken);
        var unchanged = current.SameAs(descriptor)
            && (descriptor.ClientSecret is null
                ? current.ClientSecret is null
                : await applicationManager.ValidateClientSecretAsync(existing, descriptor.ClientSecret, cancellationToken));
        if (!unchanged)
        {
            await applicationManager.UpdateAsync(existing, descriptor, cancellationToken);
            LogUpdated(logger, "client", clientId);
        }
    }

    private async Task EnsureAdminAsync(string email, string password)
    {
        if (!await roleManager.RoleExistsAsync(Roles.Admin))
        {
            Check(await roleManager.CreateAsync(new GatehouseRole(Roles.Admin)), "create the admin role");
        }

        if (await userManager.FindByEmailAsync(email) is not null)
        {
            return;
        }

        var admin = new GatehouseUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = "Administrator" };
        var created = await userManager.CreateAsync(admin, password);
        if (!created.Succeeded)
        {
            throw new GatehouseConfigurationException(created.Errors
                .Select(error => $"{GatehouseOptions.Section}:Admin:Password is not accepted: {error.Description}")
                .ToList());
        }

        Check(await userManager.AddToRoleAsync(admin, Roles.Admin), "grant the admin role");
        LogRegistered(logger, "administrator", email);
    }

    private static void Check(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not {what}: {string.Join("; ", result.Errors.Select(error => error.Description))}");
        }
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Registered {Kind} '{Name}' from configuration")]
    private static partial void LogRegistered(ILogger logger, string kind, string name);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Updated {Kind} '{Name}' from configuration")]
    private static partial void LogUpdated(ILogger logger, string kind, string name);
}
