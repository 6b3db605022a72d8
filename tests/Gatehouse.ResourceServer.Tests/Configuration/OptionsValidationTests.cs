using Gatehouse.ResourceServer.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Gatehouse.ResourceServer.Tests.Configuration;

/// <summary>A bad setting stops the service at start-up with a sentence that names it.</summary>
public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("authority-missing", "Gatehouse:ResourceServer:Authority is missing")]
    [InlineData("audience-missing", "Gatehouse:ResourceServer:Audience is missing")]
    [InlineData("http-authority", "Gatehouse:ResourceServer:RequireHttpsMetadata is true")]
    [InlineData("hmac", "Gatehouse:ResourceServer:AllowedAlgorithms contains 'HS256'")]
    [InlineData("none", "Gatehouse:ResourceServer:AllowedAlgorithms contains 'none'")]
    [InlineData("skew", "Gatehouse:ResourceServer:ClockSkew")]
    [InlineData("no-feed", "Gatehouse:ResourceServer:Revocation needs either RedisConnection")]
    [InlineData("grace", "Gatehouse:ResourceServer:Revocation:GracePeriod")]
    [InlineData("prefix-empty", "Gatehouse:ResourceServer:Revocation:RedisKeyPrefix is empty")]
    [InlineData("prefix-space", "Gatehouse:ResourceServer:Revocation:RedisKeyPrefix holds a space")]
    [InlineData("prefix-long", "Gatehouse:ResourceServer:Revocation:RedisKeyPrefix is 65 characters long")]
    public async Task BadSetting_StopsStartUp_NamingTheKey(string problem, string expected)
    {
        var exception = await Assert.ThrowsAsync<OptionsValidationException>(() => ResourceServerHost.StartAsync(o =>
        {
            o.Authority = new Uri("https://id.example.com/");
            o.Audience = "images-api";
            o.Revocation.ClientId = "images-api";
            o.Revocation.ClientSecret = "a-secret-of-some-length";
            switch (problem)
            {
                case "authority-missing": o.Authority = null; break;
                case "audience-missing": o.Audience = " "; break;
                case "http-authority": o.Authority = new Uri("http://id.example.com/"); break;
                case "hmac": o.AllowedAlgorithms = ["ES256", "HS256"]; break;
                case "none": o.AllowedAlgorithms = ["none"]; break;
                case "skew": o.ClockSkew = TimeSpan.FromHours(1); break;
                case "no-feed": o.Revocation.ClientId = null; break;
                case "grace": o.Revocation.GracePeriod = TimeSpan.FromDays(1); break;
                case "prefix-empty": o.Revocation.RedisKeyPrefix = ""; break;
                case "prefix-space": o.Revocation.RedisKeyPrefix = "tenant a:"; break;
                case "prefix-long": o.Revocation.RedisKeyPrefix = new string('p', 64) + ":"; break;
            }
        }));

        Assert.Contains(expected, exception.Message);
    }

    [Fact]
    public async Task GoodSettings_Start()
    {
        await using var service = await ResourceServerHost.StartAsync(o =>
        {
            o.Authority = new Uri("https://id.example.com/");
            o.Audience = "images-api";
            o.Revocation.Disabled = true;
        });

        Assert.NotNull(service.Client);
        // Unset, the Redis key prefix is the identity service's default one.
        Assert.Equal("gatehouse:", service.Services.GetRequiredService<IOptions<GatehouseResourceServerOptions>>().Value.Revocation.RedisKeyPrefix);
    }
}
