using System.Text;
using BenchmarkDotNet.Attributes;
using Gatehouse.ResourceServer.Revocation;
using Gatehouse.ResourceServer.Tokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Benchmarks.ResourceServer;

/// <summary>
/// What the kit adds to the signature check it cannot avoid. The baseline is the bare ES256
/// verification of the token's signing input with the same key (bytes prepared beforehand); the
/// kit's fresh path is everything a first-seen token costs (parse, header checks, key lookup,
/// signature, claims, principal), and its repeated path is a token seen before plus the revocation
/// check every request makes.
/// </summary>
/// <remarks>Not sealed: BenchmarkDotNet runs a generated subclass of every benchmark class.</remarks>
[MemoryDiagnoser]
public class AccessTokenValidationBenchmarks
{
    private readonly InMemoryAuthority _authority = new();
    private string _token = null!;
    private byte[] _signingInput = null!;
    private byte[] _signature = null!;
    private AccessTokenValidator _uncached = null!;
    private AccessTokenValidator _cached = null!;
    private RevocationList _revocations = null!;

    [GlobalSetup]
    public void Setup()
    {
        _token = _authority.Issue();
        var lastDot = _token.LastIndexOf('.');
        _signingInput = Encoding.ASCII.GetBytes(_token[..lastDot]);
        _signature = Base64UrlEncoder.DecodeBytes(_token[(lastDot + 1)..]);
        (_uncached, _) = _authority.CreateKit(cacheSize: 0);
        (_cached, _revocations) = _authority.CreateKit(cacheSize: 10_000);
        if (!BareSignature() || !KitFresh() || !KitRepeated())
        {
            throw new InvalidOperationException("the benchmark token does not validate");
        }
    }

    [Benchmark(Baseline = true, Description = "bare ES256 signature check")]
    public bool BareSignature() => _authority.Key.ECDsa.VerifyData(_signingInput, _signature, System.Security.Cryptography.HashAlgorithmName.SHA256);

    [Benchmark(Description = "kit: fresh token")]
    public bool KitFresh() => _uncached.ValidateAsync(_token).GetAwaiter().GetResult().Succeeded;

    [Benchmark(Description = "kit: repeated token + revocation check")]
    public bool KitRepeated()
    {
        var result = _cached.ValidateAsync(_token).GetAwaiter().GetResult();
        return result.Succeeded && _revocations.Check(result.Token!) is null;
    }
}
