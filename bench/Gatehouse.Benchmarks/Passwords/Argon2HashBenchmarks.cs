using BenchmarkDotNet.Attributes;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Passwords;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Gatehouse.Benchmarks.Passwords;

/// <summary>
/// The cost of a password sign-in: one Argon2id verification at the service's default parameters
/// (OWASP's m=19 MiB, t=2, p=1), and of a sign-up or password change: one hash. The parallel case
/// verifies on every core at once through the hasher's concurrency cap, so 1 / its mean is the
/// machine's ceiling in sign-ins per second.
/// Not sealed: BenchmarkDotNet runs a generated subclass of every benchmark class.
/// </summary>
[MemoryDiagnoser]
public class Argon2HashBenchmarks
{
    private const string Password = "correct horse battery staple";
    private const int ParallelVerifications = 16;

    private readonly GatehouseUser _user = new() { Id = Guid.NewGuid() };
    private Argon2PasswordHasher _hasher = null!;
    private string _hash = null!;

    [GlobalSetup]
    public void Setup()
    {
        _hasher = new Argon2PasswordHasher(Options.Create(new GatehouseOptions()));
        _hash = _hasher.HashPassword(_user, Password);
        if (_hasher.VerifyHashedPassword(_user, _hash, Password) != PasswordVerificationResult.Success)
        {
            throw new InvalidOperationException("The hash does not verify; the benchmark would measure a failure.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _hasher.Dispose();

    [Benchmark(Description = "hash (sign-up, password change)")]
    public string Hash() => _hasher.HashPassword(_user, Password);

    [Benchmark(Baseline = true, Description = "verify (sign-in)")]
    public PasswordVerificationResult Verify() => _hasher.VerifyHashedPassword(_user, _hash, Password);

    [Benchmark(OperationsPerInvoke = ParallelVerifications, Description = "verify, all cores (per sign-in)")]
    public void VerifyOnAllCores() =>
        Parallel.For(0, ParallelVerifications, _ => _hasher.VerifyHashedPassword(_user, _hash, Password));
}
