namespace Gatehouse.Identity.Tests.Infrastructure;

/// <summary>
/// A node with people and browser clients: a signed-up user, a first-party web app, a third-party
/// SPA (public, reference tokens), a native app with a loopback redirect URI, and a gateway allowed
/// to exchange and JWT-introspect tokens.
/// </summary>
public class OidcFixture : GatehouseFixture
{
    public const string UserEmail = "ada@example.com";
    public const string UserPassword = "correct horse battery staple";

    public const string WebClient = "web-app";
    public const string WebSecret = "web-app-secret-0000000001";
    public const string WebRedirect = "https://web.example.com/signin-oidc";
    public const string WebLoggedOut = "https://web.example.com/signed-out";

    public const string SpaClient = "partner-spa";
    public const string SpaRedirect = "https://spa.partner.example/callback";

    public const string NativeClient = "native-cli";
    public const string NativeRedirect = "http://127.0.0.1/callback";

    public const string GatewayClient = "gateway";
    public const string GatewaySecret = "gateway-secret-00000000001";

    public static IReadOnlyDictionary<string, string?> BrowserClients(string webRedirect = WebRedirect, string webLoggedOut = WebLoggedOut, string? backChannel = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gatehouse:Admin:Email"] = UserEmail,
            ["Gatehouse:Admin:Password"] = UserPassword,

            [$"Gatehouse:Clients:{WebClient}:DisplayName"] = "Web app",
            [$"Gatehouse:Clients:{WebClient}:Secret"] = WebSecret,
            [$"Gatehouse:Clients:{WebClient}:FirstParty"] = "true",
            [$"Gatehouse:Clients:{WebClient}:GrantTypes:0"] = "authorization_code",
            [$"Gatehouse:Clients:{WebClient}:GrantTypes:1"] = "refresh_token",
            [$"Gatehouse:Clients:{WebClient}:RedirectUris:0"] = webRedirect,
            [$"Gatehouse:Clients:{WebClient}:PostLogoutRedirectUris:0"] = webLoggedOut,
            [$"Gatehouse:Clients:{WebClient}:Scopes:0"] = "openid",
            [$"Gatehouse:Clients:{WebClient}:Scopes:1"] = "profile",
            [$"Gatehouse:Clients:{WebClient}:Scopes:2"] = "email",
            [$"Gatehouse:Clients:{WebClient}:Scopes:3"] = "offline_access",
            [$"Gatehouse:Clients:{WebClient}:Scopes:4"] = "images.read",

            [$"Gatehouse:Clients:{SpaClient}:DisplayName"] = "Partner SPA",
            [$"Gatehouse:Clients:{SpaClient}:Type"] = "public",
            [$"Gatehouse:Clients:{SpaClient}:GrantTypes:0"] = "authorization_code",
            [$"Gatehouse:Clients:{SpaClient}:GrantTypes:1"] = "refresh_token",
            [$"Gatehouse:Clients:{SpaClient}:RedirectUris:0"] = SpaRedirect,
            [$"Gatehouse:Clients:{SpaClient}:Scopes:0"] = "openid",
            [$"Gatehouse:Clients:{SpaClient}:Scopes:1"] = "offline_access",
            [$"Gatehouse:Clients:{SpaClient}:Scopes:2"] = "images.read",
            [$"Gatehouse:Clients:{SpaClient}:AccessTokenFormat"] = "reference",
            [$"Gatehouse:Clients:{SpaClient}:RefreshTokenLifetime"] = "01:00:00",
            [$"Gatehouse:Clients:{SpaClient}:RefreshTokenAbsoluteLifetime"] = "08:00:00",

            [$"Gatehouse:Clients:{NativeClient}:Type"] = "public",
            [$"Gatehouse:Clients:{NativeClient}:FirstParty"] = "true",
            [$"Gatehouse:Clients:{NativeClient}:GrantTypes:0"] = "authorization_code",
            [$"Gatehouse:Clients:{NativeClient}:RedirectUris:0"] = NativeRedirect,
            [$"Gatehouse:Clients:{NativeClient}:Scopes:0"] = "openid",

            [$"Gatehouse:Clients:{GatewayClient}:Secret"] = GatewaySecret,
            [$"Gatehouse:Clients:{GatewayClient}:GrantTypes:0"] = "urn:ietf:params:oauth:grant-type:token-exchange",
            [$"Gatehouse:Clients:{GatewayClient}:AllowTokenExchange"] = "true",
            [$"Gatehouse:Clients:{GatewayClient}:AllowJwtIntrospection"] = "true",
        };
        if (backChannel is not null)
        {
            settings[$"Gatehouse:Clients:{WebClient}:BackChannelLogoutUri"] = backChannel;
        }

        return settings;
    }

    protected override IReadOnlyDictionary<string, string?>? Overrides => BrowserClients();
}

/// <summary>The system clock moved by <see cref="Offset"/>: lets a test jump past a lifetime without waiting.</summary>
public sealed class ShiftedTimeProvider : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;
}

public static class GatehouseAppVariants
{
    /// <summary>The same node configuration and database with another clock (a second host, disposed by the caller).</summary>
    public static Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> WithTimeProvider(this GatehouseApp app, TimeProvider clock) =>
        app.WithWebHostBuilder(builder => Microsoft.AspNetCore.TestHost.WebHostBuilderExtensions.ConfigureTestServices(builder,
            services => services.AddSingleton(clock)));

    /// <summary>Creates a user of its own, for a test that changes it.</summary>
    public static async Task<(string Email, string Password)> CreateUserAsync(this GatehouseApp app, string name)
    {
        var email = Guid.NewGuid().ToString("N")[..8] + "-" + name + "@example.com";
        var password = "a long passphrase for " + email;
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Gatehouse.Identity.Data.Users.GatehouseUser>>();
        var created = await users.CreateAsync(new Gatehouse.Identity.Data.Users.GatehouseUser { UserName = email, Email = email, EmailConfirmed = true }, password);
        Assert.True(created.Succeeded, string.Join("; ", created.Errors.Select(error => error.Description)));
        return (email, password);
    }
}
