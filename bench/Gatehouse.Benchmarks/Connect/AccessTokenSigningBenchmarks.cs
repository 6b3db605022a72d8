using BenchmarkDotNet.Attributes;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Benchmarks.Connect;

/// <summary>
/// The cryptographic heart of a token response: building and signing one RFC 9068 access token
/// (<c>typ: at+jwt</c>) with the key kinds the server generates, ES256 (P-256, the default) and
/// RS256 (3072-bit RSA). The claims are those Gatehouse puts in a client-credentials token. Each
/// key is measured through <c>JsonWebTokenHandler</c> (as OpenIddict signs) and through the
/// client-credentials fast path's <see cref="AccessTokenWriter"/>.
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet runs a generated subclass of every benchmark class.</remarks>
[MemoryDiagnoser]
public class AccessTokenSigningBenchmarks
{
    private const string ClientId = "bench-client";

    // As the server's own handler is configured: times come from the descriptor, never added silently.
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    private static readonly string[] Audiences = ["bench-api"];
    private static readonly string[] Scopes = ["bench.read"];

    private SigningCredentials _es256 = null!;
    private SigningCredentials _rs256 = null!;
    private AccessTokenWriter _es256Writer = null!;
    private AccessTokenWriter _rs256Writer = null!;

    [GlobalSetup]
    public void CreateKeys()
    {
        // The same generation and loading path as the server's key ring, and the same key-to-algorithm
        // mapping as ServerKeyRingOptionsSetup.
        _es256 = new SigningCredentials(LoadSigningKey(SigningAlgorithms.ES256), SecurityAlgorithms.EcdsaSha256);
        _rs256 = new SigningCredentials(LoadSigningKey(SigningAlgorithms.RS256), SecurityAlgorithms.RsaSha256);

        _es256Writer = AccessTokenWriter.TryCreate(_es256) ?? throw new InvalidOperationException("no ES256 writer");
        _rs256Writer = AccessTokenWriter.TryCreate(_rs256) ?? throw new InvalidOperationException("no RS256 writer");

        // One token each before measuring, so that the signature providers the handler caches per key
        // (and the writers' per-thread key copies) exist.
        _ = Es256();
        _ = Rs256();
        _ = Es256FastPath();
        _ = Rs256FastPath();
    }

    [Benchmark(Baseline = true, Description = "ES256 at+jwt")]
    public string Es256() => _handler.CreateToken(Describe(_es256));

    [Benchmark(Description = "RS256 at+jwt")]
    public string Rs256() => _handler.CreateToken(Describe(_rs256));

    [Benchmark(Description = "ES256 at+jwt, fast path writer")]
    public string Es256FastPath() =>
        _es256Writer.Write("https://id.example.test/", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5), Audiences, Scopes, ClientId, ClientId);

    [Benchmark(Description = "RS256 at+jwt, fast path writer")]
    public string Rs256FastPath() =>
        _rs256Writer.Write("https://id.example.test/", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5), Audiences, Scopes, ClientId, ClientId);

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
