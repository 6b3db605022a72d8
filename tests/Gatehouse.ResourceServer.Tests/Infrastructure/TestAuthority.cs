using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.ResourceServer.Tests.Infrastructure;

/// <summary>
/// A small authority on a real socket whose keys the tests control: it publishes discovery and a
/// JWKS, counts JWKS reads, and mints tokens — genuine ones and forged ones of every kind.
/// </summary>
public sealed class TestAuthority : IAsyncDisposable
{
    public const string Audience = "images-api";

    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private List<ECDsaSecurityKey> _published = [];
    private int _jwksReads;

    private TestAuthority(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    /// <summary>The issuer discovery announces (the address, with its trailing slash).</summary>
    public string Issuer => Address.AbsoluteUri;

    public int JwksReads => Volatile.Read(ref _jwksReads);

    public static async Task<TestAuthority> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var authority = new TestAuthority(app);
        app.MapGet("/.well-known/openid-configuration", () => Results.Text(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["issuer"] = authority.Issuer,
            ["jwks_uri"] = authority.Issuer + ".well-known/jwks",
            ["token_endpoint"] = authority.Issuer + "connect/token",
        }), "application/json"));
        app.MapGet("/.well-known/jwks", () =>
        {
            Interlocked.Increment(ref authority._jwksReads);
            return Results.Text(authority.JwksJson(), "application/json");
        });
        await app.StartAsync();
        authority.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        authority.Publish(NewKey());
        return authority;
    }

    public static ECDsaSecurityKey NewKey() =>
        new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)) };

    public ECDsaSecurityKey CurrentKey
    {
        get { lock (_gate) { return _published[^1]; } }
    }

    /// <summary>Adds a key to the JWKS; it becomes the signing key.</summary>
    public void Publish(ECDsaSecurityKey key)
    {
        lock (_gate) { _published = [.. _published, key]; }
    }

    /// <summary>Removes a key from the JWKS (its retention ended, or it was compromised).</summary>
    public void Withdraw(ECDsaSecurityKey key)
    {
        lock (_gate) { _published = [.. _published.Where(k => k.KeyId != key.KeyId)]; }
    }

    private string JwksJson()
    {
        List<ECDsaSecurityKey> keys;
        lock (_gate) { keys = _published; }
        var jwks = keys.Select(key =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(key);
            return new Dictionary<string, string> { ["kty"] = "EC", ["crv"] = jwk.Crv, ["x"] = jwk.X, ["y"] = jwk.Y, ["kid"] = key.KeyId, ["use"] = "sig", ["alg"] = "ES256" };
        });
        return JsonSerializer.Serialize(new { keys = jwks });
    }

    /// <summary>A genuine access token, with optional changes to its claims or header.</summary>
    public string Issue(
        Action<Dictionary<string, object>>? claims = null,
        SecurityKey? key = null,
        string type = "at+jwt",
        IDictionary<string, object>? header = null)
    {
        var now = DateTimeOffset.UtcNow;
        var payload = new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["aud"] = Audience,
            ["sub"] = "user-7",
            ["client_id"] = "web",
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(5).ToUnixTimeSeconds(),
            ["scope"] = "images:read profile",
        };
        claims?.Invoke(payload);
        var descriptor = new SecurityTokenDescriptor
        {
            Claims = payload,
            SigningCredentials = new SigningCredentials(key ?? CurrentKey, SecurityAlgorithms.EcdsaSha256),
            TokenType = type,
            AdditionalHeaderClaims = header,
        };
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(descriptor);
    }

    /// <summary>A token with a header and payload of the caller's choice and a signature made by <paramref name="sign"/>.</summary>
    public static string Forge(object header, object payload, Func<byte[], byte[]>? sign = null)
    {
        var signingInput = Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(header)) + "." +
                           Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(payload));
        var signature = sign is null ? "" : Base64UrlEncoder.Encode(sign(Encoding.ASCII.GetBytes(signingInput)));
        return signingInput + "." + signature;
    }

    public static Dictionary<string, object> PayloadOf(string token)
    {
        var json = Base64UrlEncoder.Decode(token.Split('.')[1]);
        return JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)!
            .ToDictionary(pair => pair.Key, pair => (object)pair.Value);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
