using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Gatehouse.ResourceServer;
using Gatehouse.ResourceServer.Revocation;
using Gatehouse.ResourceServer.Tokens;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Benchmarks.ResourceServer;

/// <summary>
/// An authority answered from memory (discovery and JWKS through the kit's backchannel handler), so
/// that the benchmarks measure validation, not the network. Tokens look like Gatehouse's: ES256,
/// <c>typ: at+jwt</c>, the claims of a user token.
/// </summary>
internal sealed class InMemoryAuthority : HttpMessageHandler
{
    public const string Issuer = "https://id.bench.example/";
    public const string Audience = "images-api";

    public ECDsaSecurityKey Key { get; } = new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "bench-key-1" };

    public string Issue(string subject = "3f2b6c1e-0d4a-4c55-9a43-8f0e5f6f1b2a")
    {
        var now = DateTimeOffset.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                ["iss"] = Issuer,
                ["aud"] = Audience,
                ["sub"] = subject,
                ["client_id"] = "web-app",
                ["jti"] = Guid.NewGuid().ToString("N"),
                ["iat"] = now.ToUnixTimeSeconds(),
                ["nbf"] = now.ToUnixTimeSeconds(),
                ["exp"] = now.AddMinutes(5).ToUnixTimeSeconds(),
                ["scope"] = "openid profile images:read",
                ["role"] = "user",
            },
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.EcdsaSha256),
            TokenType = "at+jwt",
        });
    }

    /// <summary>A validator as <c>AddGatehouseResourceServer</c> builds it, keys already read.</summary>
    public (AccessTokenValidator Validator, RevocationList Revocations) CreateKit(int cacheSize)
    {
        var options = Options.Create(new GatehouseResourceServerOptions
        {
            Authority = new Uri(Issuer),
            Audience = Audience,
            BackchannelHandler = this,
            ValidatedTokenCacheSize = cacheSize,
        });
        var metadata = new AuthorityMetadata(options, new AuthorityBackchannel(options), TimeProvider.System, NullLogger<AuthorityMetadata>.Instance);
        _ = metadata.GetAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult() ?? throw new InvalidOperationException("keys not read");
        var revocations = new RevocationList(options, new RevocationFeedStatus(options, TimeProvider.System), TimeProvider.System);
        revocations.Status.MarkReachable();
        return (new AccessTokenValidator(options, metadata, TimeProvider.System), revocations);
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(Key);
        var body = request.RequestUri!.AbsolutePath switch
        {
            "/.well-known/openid-configuration" => JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["issuer"] = Issuer,
                ["jwks_uri"] = Issuer + ".well-known/jwks",
                ["token_endpoint"] = Issuer + "connect/token",
            }),
            _ => JsonSerializer.Serialize(new
            {
                keys = new[] { new Dictionary<string, string> { ["kty"] = "EC", ["crv"] = jwk.Crv, ["x"] = jwk.X, ["y"] = jwk.Y, ["kid"] = Key.KeyId, ["use"] = "sig", ["alg"] = "ES256" } },
            }),
        };
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }
}
