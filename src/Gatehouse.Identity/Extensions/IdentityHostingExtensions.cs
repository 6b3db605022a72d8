using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Admin;
using Gatehouse.Identity.Bootstrap;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Feeds;
using Gatehouse.Identity.Problems;
using Gatehouse.Identity.Sessions;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Extensions;

public static class IdentityHostingExtensions
{
    /// <summary>
    /// Everything the identity service needs, from configuration. A wrong or missing setting throws
    /// <see cref="GatehouseConfigurationException"/> here, before the host is built.
    /// </summary>
    public static WebApplicationBuilder AddGatehouseIdentity(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(GatehouseOptions.Section);
        GatehouseOptions settings;
        try
        {
            settings = section.Get<GatehouseOptions>() ?? new GatehouseOptions();
        }
        catch (InvalidOperationException exception)
        {
            throw new GatehouseConfigurationException([exception.Message]);
        }

        BuiltInScopes.AddTo(settings.Scopes);
        RedisOptions.ApplyTo(settings);
        var problems = GatehouseOptionsValidator.Check(settings);
        var storage = StorageSettings.Read(builder.Configuration, settings.Database, problems);
        if (problems.Count > 0)
        {
            throw new GatehouseConfigurationException(problems);
        }

        var services = builder.Services;
        services.AddOptions<GatehouseOptions>().Bind(section).PostConfigure(options =>
            {
                BuiltInScopes.AddTo(options.Scopes);
                RedisOptions.ApplyTo(options);
            }).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatehouseOptions>, GatehouseOptionsValidator>();

        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = ProblemResponses.AddCode);
        services.AddAuthorization();
        services.AddGatehouseStorage(storage, settings.Redis);
        services.AddGatehouseCodes(storage);
        services.AddGatehouseEmail(settings);
        services.AddGatehouseFeeds(storage, settings.Redis);

        services.AddIdentityCore<GatehouseUser>(identity =>
            {
                identity.User.RequireUniqueEmail = true;
                // The user name is the email address, which the account requests check (FieldErrors.Email):
                // every printable ASCII character an address may hold is allowed (o'brien@…, a+tag@…).
                identity.User.AllowedUserNameCharacters = Accounts.FieldErrors.EmailCharacters;
                // Passwords/PasswordPolicy.cs enforces the rules (length in code points, common and breached
                // passwords); these mirror it for anything that reads Identity's options, with no composition rules.
                identity.Password.RequiredLength = settings.Passwords.MinLength;
                identity.Password.RequireDigit = false;
                identity.Password.RequireLowercase = false;
                identity.Password.RequireUppercase = false;
                identity.Password.RequireNonAlphanumeric = false;
                identity.Password.RequiredUniqueChars = 1;
            })
            .AddRoles<GatehouseRole>()
            .AddEntityFrameworkStores<GatehouseDbContext>()
            .AddSignInManager();
        services.AddGatehousePasswords();

        services.AddGatehouseSession(settings);
        services.AddGatehouseConnect(settings);
        services.AddGatehouseAccounts(settings);
        services.AddGatehouseAdmin();
        services.AddGatehousePages(settings);
        services.AddAdminUsers();

        // Registered before OpenIddict's own hosted services read their options: the key ring must be loaded first.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, GatehouseInitializer>());
        services.AddScoped<ConfiguredRegistrations>();
        return builder;
    }

    /// <summary>The request pipeline of the identity service.</summary>
    public static WebApplication UseGatehouseIdentity(this WebApplication app)
    {
        app.UseGatehouseAccounts();
        app.UseExceptionHandler();
        app.UseGatehouseSecurityHeaders();
        app.UseStatusCodePages();
        app.UseMiddleware<ProtocolRequestGuard>();
        app.UseBrowserClientCors();
        app.UseMiddleware<ClientAuthenticationGate>();
        app.UseMiddleware<ClientCredentialsFastPath>();
        app.UseAuthenticationOutside(AccountsApi.Prefix);
        app.UseAuthorization();
        app.UseGatehousePages();
        app.MapFeedsApi();
        app.MapConnectEndpoints();
        return app;
    }

    /// <summary>
    /// The authentication middleware for every path but <paramref name="skipped"/>: the account API names
    /// its client in headers and checks the user's bearer token itself, so the session cookie and
    /// OpenIddict's request handlers (which look at every request for their own endpoints) would only
    /// cost its calls time.
    /// </summary>
    /// <remarks>
    /// A <see cref="WebApplication"/> puts the authentication middleware at the front of the pipeline by
    /// itself unless <c>UseAuthentication</c> has marked the app's properties; a branch marks only its own
    /// copy, so the mark is set here as well (<c>Accounts/AccountApiAuthenticationTests</c> would see the
    /// handlers run again if the framework ever changed it).
    /// </remarks>
    private static void UseAuthenticationOutside(this WebApplication app, PathString skipped)
    {
        app.UseWhen(context => !context.Request.Path.StartsWithSegments(skipped), branch => branch.UseAuthentication());
        ((IApplicationBuilder)app).Properties[AuthenticationMiddlewareSetKey] = true;
    }

    private const string AuthenticationMiddlewareSetKey = "__AuthenticationMiddlewareSet";
}
