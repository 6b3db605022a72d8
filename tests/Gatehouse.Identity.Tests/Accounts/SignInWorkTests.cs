using System.Net;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Passwords;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gatehouse.Identity.Tests.Accounts;

/// <summary>
/// A sign-in costs one password verification, whatever its outcome: no second check in Identity's
/// managers, no rehash of a hash that already has the configured parameters, and the dummy hash only
/// when there is no account. The hash is most of a sign-in's cost, so a second one would halve the rate.
/// </summary>
public sealed class SignInWorkTests : IAsyncLifetime
{
    private const string Password = "lantern-quarry-meadow-2209";

    private TestStorage? _storage;
    private GatehouseApp? _baseNode;
    private WebApplicationFactory<Program>? _node;
    private readonly CountingHasher _hasher = new();

    private WebApplicationFactory<Program> Node => _node ?? throw new InvalidOperationException("not initialized");

    public async ValueTask InitializeAsync()
    {
        _storage = await TestStorage.CreateAsync();
        _baseNode = new GatehouseApp(_storage);
        _node = _baseNode.WithWebHostBuilder(host => host.ConfigureTestServices(services =>
        {
            services.AddSingleton<Argon2PasswordHasher>();
            services.Replace(ServiceDescriptor.Singleton<IPasswordHasher<GatehouseUser>>(provider =>
                _hasher.Wrapping(provider.GetRequiredService<Argon2PasswordHasher>())));
        }));
        _ = _node.Server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        if (_baseNode is not null)
        {
            await _baseNode.DisposeAsync();
        }

        if (_storage is not null)
        {
            await _storage.DisposeAsync();
        }
    }

    [Fact]
    public async Task SignIn_WithTheRightPassword_VerifiesOneHashAndWritesNone()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(Node, email, Password);
        var api = new AccountApi(Node.CreateClient());
        _hasher.Reset();

        await api.SignInAsync(email, Password);
        await api.SignInAsync(email, Password);

        Assert.Equal(2, _hasher.Verifications);
        Assert.Equal(0, _hasher.Hashes);
    }

    [Fact]
    public async Task SignIn_WithAWrongPassword_VerifiesOneHash()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(Node, email, Password);
        var api = new AccountApi(Node.CreateClient());
        _hasher.Reset();

        using var wrong = await api.PostAsync("/auth/sign-in", new { email, password = "not-" + Password });

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(1, _hasher.Verifications);
        Assert.Equal(0, _hasher.Hashes);
    }

    [Fact]
    public async Task SignIn_WithAnUnknownEmail_VerifiesOneDummyHash()
    {
        var api = new AccountApi(Node.CreateClient());
        // The dummy hash is made once, on first use.
        using var first = await api.PostAsync("/auth/sign-in", new { email = AccountApi.NewEmail(), password = Password });
        _hasher.Reset();

        using var unknown = await api.PostAsync("/auth/sign-in", new { email = AccountApi.NewEmail(), password = Password });

        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(1, _hasher.Verifications);
        Assert.Equal(0, _hasher.Hashes);
    }

    /// <summary>Counts the calls that reach the service's own hasher.</summary>
    private sealed class CountingHasher : IPasswordHasher<GatehouseUser>
    {
        private IPasswordHasher<GatehouseUser>? _inner;
        private int _verifications;
        private int _hashes;

        public int Verifications => Volatile.Read(ref _verifications);

        public int Hashes => Volatile.Read(ref _hashes);

        public CountingHasher Wrapping(IPasswordHasher<GatehouseUser> inner)
        {
            _inner = inner;
            return this;
        }

        public void Reset()
        {
            Interlocked.Exchange(ref _verifications, 0);
            Interlocked.Exchange(ref _hashes, 0);
        }

        public string HashPassword(GatehouseUser user, string password)
        {
            Interlocked.Increment(ref _hashes);
            return Inner.HashPassword(user, password);
        }

        public PasswordVerificationResult VerifyHashedPassword(GatehouseUser user, string hashedPassword, string providedPassword)
        {
            Interlocked.Increment(ref _verifications);
            return Inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }

        private IPasswordHasher<GatehouseUser> Inner => _inner ?? throw new InvalidOperationException("no hasher wrapped yet");
    }
}
