using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>
/// A node with the browser clients and their administrator (<see cref="OidcFixture"/>), plus service
/// clients that call the admin API: one for every area (which may also read the revocation feed), one
/// for the users and audit areas, one for the users area only, one for the clients area only and one
/// for the keys area only; and a first-party web app through which an administrator asks for an admin
/// scope on their own behalf.
/// </summary>
public class AdminFixture : GatehouseFixture
{
    public const string Console = "admin-console";
    public const string ConsoleSecret = "admin-console-secret-000001";
    public const string UsersAdmin = "users-admin";
    public const string UsersAdminSecret = "users-admin-secret-00000001";
    public const string SupportDesk = "support-desk";
    public const string SupportDeskSecret = "support-desk-secret-00000001";
    public const string ClientsAdmin = "clients-admin";
    public const string ClientsAdminSecret = "clients-admin-secret-000001";
    public const string KeysAdmin = "keys-admin";
    public const string KeysAdminSecret = "keys-admin-secret-00000001";

    public const string AdminWeb = "admin-web";
    public const string AdminWebSecret = "admin-web-secret-000000001";
    public const string AdminWebRedirect = "https://admin-web.example/callback";

    /// <summary>The service clients that call the admin API, and nothing else.</summary>
    public static Dictionary<string, string?> AdminClients()
    {
        var settings = new Dictionary<string, string?>();
        AddServiceClient(settings, Console, ConsoleSecret, "gatehouse:admin", "gatehouse:revocations");
        AddServiceClient(settings, UsersAdmin, UsersAdminSecret, "gatehouse:admin.users", "gatehouse:admin.audit");
        AddServiceClient(settings, SupportDesk, SupportDeskSecret, "gatehouse:admin.users");
        AddServiceClient(settings, ClientsAdmin, ClientsAdminSecret, "gatehouse:admin.clients");
        AddServiceClient(settings, KeysAdmin, KeysAdminSecret, "gatehouse:admin.keys");
        return settings;
    }

    /// <summary>The whole node configuration: browser clients, admin service clients and the admin web app.</summary>
    public static Dictionary<string, string?> Settings() => new(OidcFixture.BrowserClients().Concat(AdminClients()))
    {
        [$"Gatehouse:Clients:{AdminWeb}:Secret"] = AdminWebSecret,
        [$"Gatehouse:Clients:{AdminWeb}:FirstParty"] = "true",
        [$"Gatehouse:Clients:{AdminWeb}:GrantTypes:0"] = "authorization_code",
        [$"Gatehouse:Clients:{AdminWeb}:GrantTypes:1"] = "refresh_token",
        [$"Gatehouse:Clients:{AdminWeb}:RedirectUris:0"] = AdminWebRedirect,
        [$"Gatehouse:Clients:{AdminWeb}:Scopes:0"] = "openid",
        [$"Gatehouse:Clients:{AdminWeb}:Scopes:1"] = "offline_access",
        [$"Gatehouse:Clients:{AdminWeb}:Scopes:2"] = "gatehouse:admin.keys",
        [$"Gatehouse:Clients:{AdminWeb}:Scopes:3"] = "gatehouse:admin.users",
    };

    protected override IReadOnlyDictionary<string, string?>? Overrides => Settings();

    private static void AddServiceClient(Dictionary<string, string?> settings, string clientId, string secret, params string[] scopes)
    {
        settings[$"Gatehouse:Clients:{clientId}:Secret"] = secret;
        settings[$"Gatehouse:Clients:{clientId}:GrantTypes:0"] = "client_credentials";
        for (var i = 0; i < scopes.Length; i++)
        {
            settings[$"Gatehouse:Clients:{clientId}:Scopes:{i}"] = scopes[i];
        }
    }
}
