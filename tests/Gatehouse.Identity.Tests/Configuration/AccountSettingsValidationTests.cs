using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Extensions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;

namespace Gatehouse.Identity.Tests.Configuration;

public sealed class AccountSettingsValidationTests
{
    [Theory]
    [InlineData("Gatehouse:Clients:app:Type", "hybrid", "Gatehouse:Clients:app:Type")]
    [InlineData("Gatehouse:Clients:app:FirstParty", "false", "Gatehouse:Clients:app:AllowAccountsApi")]
    [InlineData("Gatehouse:Accounts:RefreshTokenLifetime", "00:01:00", "Gatehouse:Accounts:RefreshTokenLifetime")]
    [InlineData("Gatehouse:Accounts:FlowLifetime", "02:00:00", "Gatehouse:Accounts:FlowLifetime")]
    [InlineData("Gatehouse:Accounts:MaxBodyBytes", "10", "Gatehouse:Accounts:MaxBodyBytes")]
    [InlineData("Gatehouse:Accounts:Lockout:MaxFailedAttempts", "0", "Gatehouse:Accounts:Lockout:MaxFailedAttempts")]
    [InlineData("Gatehouse:Accounts:Lockout:MaxWait", "00:00:10", "Gatehouse:Accounts:Lockout:FirstWait")]
    [InlineData("Gatehouse:Accounts:RateLimits:PerIpPermits", "0", "Gatehouse:Accounts:RateLimits")]
    [InlineData("Gatehouse:Accounts:TrustedProxies:0", "proxy.local", "Gatehouse:Accounts:TrustedProxies")]
    public void WrongAccountSetting_StopsStartUp_NamingTheKey(string key, string value, string named)
    {
        var exception = Assert.Throws<GatehouseConfigurationException>(() => Build(new() { [key] = value }));

        Assert.Contains(exception.Problems, problem => problem.Contains(named, StringComparison.Ordinal));
    }

    [Fact]
    public void PublicClient_WithASecret_IsRefused()
    {
        var exception = Assert.Throws<GatehouseConfigurationException>(() => Build(new() { ["Gatehouse:Clients:app:Secret"] = "a-long-enough-secret-value" }));

        Assert.Contains(exception.Problems, problem => problem.Contains("Gatehouse:Clients:app:Secret", StringComparison.Ordinal));
    }

    [Fact]
    public void PublicFirstPartyClient_OnTheAccountApi_WithoutGrantTypes_Starts()
    {
        Build([]);
    }

    private static void Build(Dictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Gatehouse:Clients:app:Type"] = "public",
            ["Gatehouse:Clients:app:FirstParty"] = "true",
            ["Gatehouse:Clients:app:AllowAccountsApi"] = "true",
            ["Gatehouse:Accounts:TrustedProxies:0"] = "10.0.0.0/8",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddGatehouseIdentity();
    }
}
