using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Passwords;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Tests.Passwords;

/// <summary>Through the service's own UserManager and database, on both storages.</summary>
public sealed class PasswordUpgradeTests
{
    private const string Password = "a long and memorable passphrase";
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static async Task<Guid> CreateUserWithHashAsync(GatehouseApp app, Func<GatehouseUser, string> hash)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
        var user = new GatehouseUser { Id = Guid.NewGuid(), UserName = $"{Guid.NewGuid():N}@example.test", Email = $"{Guid.NewGuid():N}@example.test" };
        user.PasswordHash = hash(user);
        var created = await users.CreateAsync(user);
        Assert.True(created.Succeeded, string.Join(", ", created.Errors.Select(error => error.Code)));
        return user.Id;
    }

    private static async Task<(bool Accepted, string? Hash, string? StampBefore, string? StampAfter)> SignInAsync(GatehouseApp app, Guid userId, string password)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
        var user = await users.FindByIdAsync(userId.ToString());
        Assert.NotNull(user);
        var stampBefore = user.SecurityStamp;
        var accepted = await users.CheckPasswordAsync(user, password);
        await using var fresh = app.Services.CreateAsyncScope();
        var stored = await fresh.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>().FindByIdAsync(userId.ToString());
        return (accepted, stored?.PasswordHash, stampBefore, stored?.SecurityStamp);
    }

    [Theory]
    [InlineData(PasswordHasherCompatibilityMode.IdentityV2)]
    [InlineData(PasswordHasherCompatibilityMode.IdentityV3)]
    public async Task Pbkdf2Hash_IsReplacedByArgon2id_AtTheNextSignIn(PasswordHasherCompatibilityMode mode)
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = new GatehouseApp(storage);
        var legacy = new PasswordHasher<GatehouseUser>(Options.Create(new PasswordHasherOptions { CompatibilityMode = mode }));
        string? oldHash = null;
        var userId = await CreateUserWithHashAsync(app, user => oldHash = legacy.HashPassword(user, Password));

        var wrong = await SignInAsync(app, userId, "not the passphrase");
        Assert.False(wrong.Accepted);
        Assert.Equal(oldHash, wrong.Hash);

        var right = await SignInAsync(app, userId, Password);
        Assert.True(right.Accepted);
        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", right.Hash);
        Assert.Equal(right.StampBefore, right.StampAfter);

        var again = await SignInAsync(app, userId, Password);
        Assert.True(again.Accepted);
        Assert.Equal(right.Hash, again.Hash);
    }

    [Fact]
    public async Task ChangingThePassword_StillRotatesTheSecurityStamp()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = new GatehouseApp(storage);
        var legacy = new PasswordHasher<GatehouseUser>();
        var userId = await CreateUserWithHashAsync(app, user => legacy.HashPassword(user, Password));
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
        var user = await users.FindByIdAsync(userId.ToString());
        var stamp = user!.SecurityStamp;

        var changed = await users.ChangePasswordAsync(user, Password, "an entirely different passphrase");

        Assert.True(changed.Succeeded);
        Assert.NotEqual(stamp, user.SecurityStamp);
        Assert.StartsWith("$argon2id$", user.PasswordHash);
    }

    [Fact]
    public async Task WeakerArgon2Hash_IsReplaced_WhenTheCostIsRaised()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = new GatehouseApp(storage, new Dictionary<string, string?> { ["Gatehouse:Passwords:Hashing:Iterations"] = "3" });
        using var weaker = new Argon2PasswordHasher(Options.Create(new Gatehouse.Identity.Configuration.GatehouseOptions()));
        var userId = await CreateUserWithHashAsync(app, user => weaker.HashPassword(user, Password));

        var signIn = await SignInAsync(app, userId, Password);

        Assert.True(signIn.Accepted);
        Assert.StartsWith("$argon2id$v=19$m=19456,t=3,p=1$", signIn.Hash);
        Assert.Equal(signIn.StampBefore, signIn.StampAfter);
    }

    [Fact]
    public async Task Service_UsesTheArgon2HasherAndOnlyThePasswordPolicy()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = new GatehouseApp(storage);
        await using var scope = app.Services.CreateAsyncScope();

        Assert.IsType<Argon2PasswordHasher>(scope.ServiceProvider.GetRequiredService<IPasswordHasher<GatehouseUser>>());
        Assert.IsType<GatehouseUserManager>(scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>());
        Assert.IsType<PasswordPolicy>(Assert.Single(scope.ServiceProvider.GetServices<IPasswordValidator<GatehouseUser>>()));

        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
        var user = new GatehouseUser { UserName = "policy@example.test", Email = "policy@example.test" };
        var refused = await users.CreateAsync(user, "baseball");
        Assert.Equal(PasswordErrors.CommonCode, Assert.Single(refused.Errors).Code);
        var created = await users.CreateAsync(user, Password);
        Assert.True(created.Succeeded);
        Assert.StartsWith("$argon2id$", user.PasswordHash);
    }
}
