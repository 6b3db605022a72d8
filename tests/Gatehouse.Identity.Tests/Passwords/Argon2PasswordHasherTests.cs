using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Passwords;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using PasswordOptions = Gatehouse.Identity.Configuration.PasswordOptions;

namespace Gatehouse.Identity.Tests.Passwords;

public sealed class Argon2PasswordHasherTests
{
    private const string Password = "correct horse battery staple";
    private static readonly GatehouseUser User = new() { Id = Guid.NewGuid() };

    private static Argon2PasswordHasher Hasher(int memoryKiB = PasswordOptions.MinMemoryKiB, int iterations = PasswordOptions.MinIterations, int maxConcurrent = 4, TimeSpan? queueTimeout = null) =>
        new(Options.Create(new GatehouseOptions
        {
            Passwords = new PasswordOptions
            {
                Hashing = new Argon2Options
                {
                    MemoryKiB = memoryKiB,
                    Iterations = iterations,
                    MaxConcurrent = maxConcurrent,
                    QueueTimeout = queueTimeout ?? TimeSpan.FromSeconds(10),
                },
            },
        }));

    [Fact]
    public void Hash_IsArgon2id_AtOwaspParameters_InTheEncodedForm()
    {
        using var hasher = Hasher();

        var hash = hasher.HashPassword(User, Password);

        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", hash);
        Assert.True(Argon2PasswordHasher.TryReadParameters(hash, out var memory, out var iterations, out var lanes));
        Assert.Equal((19456, 2, 1), (memory, iterations, lanes));
        Assert.DoesNotContain('\0', hash);
    }

    [Fact]
    public void SamePassword_HashesDifferently_AndBothVerify()
    {
        using var hasher = Hasher();

        var first = hasher.HashPassword(User, Password);
        var second = hasher.HashPassword(User, Password);

        Assert.NotEqual(first, second);
        Assert.Equal(PasswordVerificationResult.Success, hasher.VerifyHashedPassword(User, first, Password));
        Assert.Equal(PasswordVerificationResult.Success, hasher.VerifyHashedPassword(User, second, Password));
    }

    [Theory]
    [InlineData("correct horse battery stapl")]
    [InlineData("Correct horse battery staple")]
    [InlineData("")]
    public void WrongPassword_Fails(string wrong)
    {
        using var hasher = Hasher();

        Assert.Equal(PasswordVerificationResult.Failed, hasher.VerifyHashedPassword(User, hasher.HashPassword(User, Password), wrong));
    }

    [Fact]
    public void ComposedAndDecomposedAccents_AreOnePassword()
    {
        using var hasher = Hasher();
        var composed = "caf\u00E9 au lait, s'il vous pla\u00EEt";
        var decomposed = "cafe\u0301 au lait, s'il vous plai\u0302t";

        Assert.Equal(PasswordVerificationResult.Success, hasher.VerifyHashedPassword(User, hasher.HashPassword(User, composed), decomposed));
    }

    [Theory]
    [InlineData(PasswordOptions.MinMemoryKiB, 3)]
    [InlineData(2 * PasswordOptions.MinMemoryKiB, 2)]
    public void HashWithWeakerParameters_VerifiesAndAsksForARehash(int configuredMemoryKiB, int configuredIterations)
    {
        using var weaker = Hasher();
        using var configured = Hasher(configuredMemoryKiB, configuredIterations);

        var old = weaker.HashPassword(User, Password);

        Assert.Equal(PasswordVerificationResult.SuccessRehashNeeded, configured.VerifyHashedPassword(User, old, Password));
        Assert.Equal(PasswordVerificationResult.Failed, configured.VerifyHashedPassword(User, old, "not " + Password));
        Assert.Equal(PasswordVerificationResult.Success, configured.VerifyHashedPassword(User, configured.HashPassword(User, Password), Password));
    }

    [Fact]
    public void HashWithStrongerParameters_IsKept()
    {
        using var stronger = Hasher(iterations: 3);
        using var configured = Hasher();

        Assert.Equal(PasswordVerificationResult.Success, configured.VerifyHashedPassword(User, stronger.HashPassword(User, Password), Password));
    }

    [Theory]
    [InlineData(PasswordHasherCompatibilityMode.IdentityV2)]
    [InlineData(PasswordHasherCompatibilityMode.IdentityV3)]
    public void IdentityPbkdf2Hash_VerifiesAndAsksForARehash(PasswordHasherCompatibilityMode mode)
    {
        var pbkdf2 = new PasswordHasher<GatehouseUser>(Options.Create(new PasswordHasherOptions { CompatibilityMode = mode }));
        var legacy = pbkdf2.HashPassword(User, Password);
        using var hasher = Hasher();

        Assert.Equal(PasswordVerificationResult.SuccessRehashNeeded, hasher.VerifyHashedPassword(User, legacy, Password));
        Assert.Equal(PasswordVerificationResult.Failed, hasher.VerifyHashedPassword(User, legacy, Password + "!"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a hash at all")]
    [InlineData("AQAAAAEAACcQAAAAE")]
    [InlineData("$argon2id$")]
    [InlineData("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$")]
    [InlineData("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")]
    [InlineData("$argon2id$v=19$m=999999999,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")]
    [InlineData("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")]
    public void MalformedOrForeignHash_Fails_WithoutThrowing(string stored)
    {
        using var hasher = Hasher();

        Assert.Equal(PasswordVerificationResult.Failed, hasher.VerifyHashedPassword(User, stored, Password));
    }

    [Fact]
    public void HugePassword_FailsWithoutBeingHashed()
    {
        using var hasher = Hasher(maxConcurrent: 1, queueTimeout: TimeSpan.FromMilliseconds(100));
        var hash = hasher.HashPassword(User, Password);
        hasher.Slots.Wait(TestContext.Current.CancellationToken);

        // With every slot taken, anything that tried to hash would throw instead of failing.
        Assert.Equal(PasswordVerificationResult.Failed, hasher.VerifyHashedPassword(User, hash, new string('x', 1024 * 1024)));
    }

    [Fact]
    public void TamperedHash_Fails()
    {
        using var hasher = Hasher();
        var hash = hasher.HashPassword(User, Password);
        var tampered = hash[..^2] + (hash[^2] == 'A' ? 'B' : 'A') + hash[^1];

        Assert.Equal(PasswordVerificationResult.Failed, hasher.VerifyHashedPassword(User, tampered, Password));
    }

    [Fact]
    public void WhenEverySlotIsBusy_HashingWaits_ThenFailsAsOverloaded()
    {
        using var hasher = Hasher(maxConcurrent: 2, queueTimeout: TimeSpan.FromMilliseconds(200));
        hasher.Slots.Wait(TestContext.Current.CancellationToken);
        hasher.Slots.Wait(TestContext.Current.CancellationToken);

        Assert.Throws<PasswordHasherBusyException>(() => hasher.HashPassword(User, Password));
        Assert.Throws<PasswordHasherBusyException>(() => hasher.VerifyHashedPassword(User, "AQAAAAIAAYagAAAAEJ3b", Password));

        hasher.Slots.Release();
        Assert.StartsWith("$argon2id$", hasher.HashPassword(User, Password));
        Assert.Equal(1, hasher.Slots.CurrentCount);
    }

    [Fact]
    public async Task ParallelHashes_NeverHoldMoreSlotsThanAllowed_AndGiveThemAllBack()
    {
        using var hasher = Hasher(maxConcurrent: 2);

        var hashes = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => hasher.HashPassword(User, Password + i))));

        Assert.All(hashes, hash => Assert.StartsWith("$argon2id$", hash));
        Assert.Equal(2, hasher.Slots.CurrentCount);
    }
}
