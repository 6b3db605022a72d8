using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Extensions;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace Gatehouse.Identity.Tests.Configuration;

public sealed class StartupValidationTests
{
    [Theory]
    [InlineData("Gatehouse:Database:Provider", "Mongo", "Gatehouse:Database:Provider")]
    [InlineData("Gatehouse:Tokens:AccessTokenLifetime", "02:00:00", "Gatehouse:Tokens:AccessTokenLifetime")]
    [InlineData("Gatehouse:Tokens:AccessTokenLifetime", "banana", "Gatehouse:Tokens:AccessTokenLifetime")]
    [InlineData("Gatehouse:Tokens:SigningAlgorithm", "HS256", "Gatehouse:Tokens:SigningAlgorithm")]
    [InlineData("Gatehouse:Tokens:AccountTokensFastPath", "maybe", "Gatehouse:Tokens:AccountTokensFastPath")]
    [InlineData("Gatehouse:Issuer", "not a uri", "Gatehouse:Issuer")]
    [InlineData("Gatehouse:Keys:RotationPeriod", "01:00:00", "Gatehouse:Keys:RotationPeriod")]
    [InlineData("Gatehouse:Keys:CheckInterval", "00:00:00.500", "Gatehouse:Keys:CheckInterval")]
    [InlineData("Gatehouse:Clients:svc:GrantTypes:0", "password", "Gatehouse:Clients:svc:GrantTypes")]
    [InlineData("Gatehouse:Clients:svc:Secret", "short", "Gatehouse:Clients:svc:Secret")]
    [InlineData("Gatehouse:Clients:svc:Scopes:0", "undefined.scope", "Gatehouse:Clients:svc:Scopes")]
    [InlineData("Gatehouse:Admin:Email", "not-an-email", "Gatehouse:Admin:Email")]
    [InlineData("ConnectionStrings:Redis", "127.0.0.1:6379,connectTimeout=soon", "ConnectionStrings:Redis")]
    [InlineData("Gatehouse:Clients:svc:Type", "spa", "Gatehouse:Clients:svc:Type")]
    [InlineData("Gatehouse:Clients:svc:GrantTypes:0", "authorization_code", "Gatehouse:Clients:svc:RedirectUris")]
    [InlineData("Gatehouse:Clients:svc:GrantTypes:1", "refresh_token", "Gatehouse:Clients:svc:GrantTypes")]
    [InlineData("Gatehouse:Clients:svc:GrantTypes:1", "implicit", "Gatehouse:Clients:svc:GrantTypes")]
    [InlineData("Gatehouse:Clients:svc:RedirectUris:0", "https://app.example/cb", "Gatehouse:Clients:svc:RedirectUris")]
    [InlineData("Gatehouse:Clients:svc:PostLogoutRedirectUris:0", "/relative", "Gatehouse:Clients:svc:PostLogoutRedirectUris")]
    [InlineData("Gatehouse:Clients:svc:BackChannelLogoutUri", "http://app.example/logout", "Gatehouse:Clients:svc:BackChannelLogoutUri")]
    [InlineData("Gatehouse:Clients:svc:AccessTokenFormat", "paseto", "Gatehouse:Clients:svc:AccessTokenFormat")]
    [InlineData("Gatehouse:Clients:svc:RefreshTokenLifetime", "00:00:10", "Gatehouse:Clients:svc:RefreshTokenLifetime")]
    [InlineData("Gatehouse:Clients:svc:AllowTokenExchange", "true", "Gatehouse:Clients:svc:AllowTokenExchange")]
    [InlineData("Gatehouse:Session:IdleTimeout", "00:00:05", "Gatehouse:Session:IdleTimeout")]
    [InlineData("Gatehouse:ClientAuthentication:FreeFailures", "0", "Gatehouse:ClientAuthentication:FreeFailures")]
    [InlineData("Gatehouse:ClientAuthentication:MaxWait", "2.00:00:00", "Gatehouse:ClientAuthentication:FirstWait")]
    [InlineData("Gatehouse:Session:AbsoluteLifetime", "60.00:00:00", "Gatehouse:Session:AbsoluteLifetime")]
    public void WrongSetting_StopsStartUp_WithASentenceNamingTheKey(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gatehouse:Clients:svc:Secret"] = "a-long-enough-secret-value",
            ["Gatehouse:Clients:svc:GrantTypes:0"] = "client_credentials",
            ["Gatehouse:Admin:Password"] = "long-enough-password",
            ["Gatehouse:Admin:Email"] = "admin@example.com",
            [key] = value,
        };

        var exception = Assert.Throws<GatehouseConfigurationException>(() => Build(settings));

        Assert.Contains(exception.Problems, problem => problem.Contains(named, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("https://app.example/cb#fragment")]
    [InlineData("http://app.example/cb")]
    [InlineData("com.example.app:/callback")]
    [InlineData("javascript:alert(1)")]
    public void ConfidentialClient_WithAnUnsafeRedirectUri_StopsStartUp(string redirectUri)
    {
        var exception = Assert.Throws<GatehouseConfigurationException>(() => Build(new()
        {
            ["Gatehouse:Clients:web:Secret"] = "a-long-enough-secret-value",
            ["Gatehouse:Clients:web:GrantTypes:0"] = "authorization_code",
            ["Gatehouse:Clients:web:RedirectUris:0"] = redirectUri,
        }));

        Assert.Contains(exception.Problems, problem => problem.StartsWith("Gatehouse:Clients:web:RedirectUris", StringComparison.Ordinal));
    }

    [Fact]
    public void PublicClient_WithASecretOrAServiceGrant_StopsStartUp()
    {
        var exception = Assert.Throws<GatehouseConfigurationException>(() => Build(new()
        {
            ["Gatehouse:Clients:spa:Type"] = "public",
            ["Gatehouse:Clients:spa:Secret"] = "a-long-enough-secret-value",
            ["Gatehouse:Clients:spa:GrantTypes:0"] = "client_credentials",
        }));

        Assert.Contains(exception.Problems, problem => problem.StartsWith("Gatehouse:Clients:spa:Secret", StringComparison.Ordinal));
        Assert.Contains(exception.Problems, problem => problem.StartsWith("Gatehouse:Clients:spa:GrantTypes", StringComparison.Ordinal));
    }

    [Fact]
    public void NativePublicClient_WithLoopbackAndPrivateSchemeRedirects_Starts()
    {
        var problems = GatehouseOptionsValidator.Check(new GatehouseOptions
        {
            Clients =
            {
                ["cli"] = new ClientOptions
                {
                    Type = ClientKinds.Public,
                    GrantTypes = ["authorization_code", "refresh_token"],
                    RedirectUris = ["http://127.0.0.1/callback", "com.example.cli:/callback"],
                    Scopes = ["openid", "offline_access"],
                },
            },
        });

        Assert.Empty(problems);
    }

    [Fact]
    public void PostgreSql_WithoutConnectionString_NamesTheConnectionStringKey()
    {
        var exception = Assert.Throws<GatehouseConfigurationException>(() => Build(new() { ["Gatehouse:Database:Provider"] = "PostgreSQL" }));

        var problem = Assert.Single(exception.Problems);
        Assert.Contains("ConnectionStrings:Gatehouse", problem);
    }

    [Fact]
    public void PostgreSql_WithMalformedConnectionString_NamesTheConnectionStringKey()
    {
        var exception = Assert.Throws<GatehouseConfigurationException>(() => Build(new()
        {
            ["Gatehouse:Database:Provider"] = "PostgreSQL",
            ["ConnectionStrings:Gatehouse"] = "this is = not ; = valid",
        }));

        Assert.Contains(exception.Problems, problem => problem.StartsWith("ConnectionStrings:Gatehouse", StringComparison.Ordinal));
    }

    [Fact]
    public void SeveralMistakes_AreAllReportedAtOnce()
    {
        var exception = Assert.Throws<GatehouseConfigurationException>(() => Build(new()
        {
            ["Gatehouse:Database:Provider"] = "Oracle",
            ["Gatehouse:Tokens:SigningAlgorithm"] = "none",
        }));

        Assert.Equal(2, exception.Problems.Count);
    }

    [Fact]
    public void DefaultConfiguration_IsValid_AndUsesSqlite()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Gatehouse"] = null });

        builder.AddGatehouseIdentity();

        using var provider = builder.Services.BuildServiceProvider();
        var storage = provider.GetRequiredService<StorageSettings>();
        Assert.Equal("Sqlite", storage.DatabaseProvider);
        Assert.Equal(DatabaseProviders.DefaultSqliteConnection, storage.DatabaseConnectionString);
        Assert.False(storage.UsesRedis);
    }

    [Fact]
    public async Task Process_WithWrongProvider_ExitsBeforeListening_AndPrintsTheKey()
    {
        var (exitCode, stderr) = await ServiceProcess.RunUntilExitAsync(new Dictionary<string, string>
        {
            ["Gatehouse__Database__Provider"] = "Cassandra",
        });

        Assert.Equal(2, exitCode);
        Assert.Contains("Gatehouse:Database:Provider is 'Cassandra'", stderr);
    }

    private static void Build(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddGatehouseIdentity();
    }
}
