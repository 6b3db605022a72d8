using BenchmarkDotNet.Attributes;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Benchmarks.Connect;

/// <summary>
/// The cryptographic heart of a token response: building and signing one RFC 9068 access token
/// (<c>typ: at+jwt</c>) with the key kinds the server generates, ES256 (P-256, the default) and
/// RS256 (3072-bit RSA). The claims are those Gatehouse puts in a client-credentials token.
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet runs a generated subclass of every benchmark class.</remarks>
[MemoryDiagnoser]
public class AccessTokenSigningBenchmarks
{
    private const string ClientId = "bench-client";

    // As the server's own handler is configured: times come from the descriptor, never added silently.
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    private SigningCredentials _es256 = null!;
    private SigningCredentials _rs256 = null!;

    [GlobalSetup]
    public void CreateKeys()
    {
        // The same generation and loading path as the server's key ring, and the same key-to-algorithm
        // mapping as ServerKeyRingOptionsSetup.
        _es256 = new SigningCredentials(LoadSigningKey(SigningAlgorithms.ES256), SecurityAlgorithms.EcdsaSha256);
        _rs256 = new SigningCredentials(LoadSigningKey(SigningAlgorithms.RS256), SecurityAlgorithms.RsaSha256);

        // One token each before measuring, so that the signature providers the handler caches per key exist.
        _ = Es256();
        _ = Rs256();
    }

    [Benchmark(Baseline = true, Description = "ES256 at+jwt")]
    public string Es256() => _handler.CreateToken(Describe(_es256));

    [Benchmark(Description = "RS256 at+jwt")]
    public string Rs256() => _handler.CreateToken(Describe(_rs256));

    private static SecurityKey LoadSigningKey(string algorithm) =>
        ServerKeyRing.ToSecurityKey(ServerKeyRing.Generate(ServerKeyUse.Signing, algorithm, DateTime.UtcNow));

    // A new descriptor per token, as every token request builds its own.
    private static SecurityTokenDescriptor Describe(SigningCredentials credentials)
    {
        var now = DateTime.UtcNow;
        return new SecurityTokenDescriptor
        {
            TokenType = "at+jwt",
            Issuer = "https://id.example.test/",
            Audience = "bench-api",
            IssuedAt = now,
            Expires = now.AddMinutes(5),
            SigningCredentials = credentials,
            Claims = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                [JwtRegisteredClaimNames.Sub] = ClientId,
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString(),
                ["client_id"] = ClientId,
                ["name"] = ClientId,
                ["scope"] = "bench.read",
                ["oi_prst"] = ClientId,
            },
        };
    }
}
