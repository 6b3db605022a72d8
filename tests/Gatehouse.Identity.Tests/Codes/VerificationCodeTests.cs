using System.Text;
using Gatehouse.Identity.Codes;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Security;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Tests.Codes;

/// <summary>Runs on the in-process store, and on Redis in the second pass of the suite.</summary>
public sealed class VerificationCodeTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private readonly ManualClock _clock = new();
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private VerificationCodes Codes => CodesOf(fixture.App, _clock);

    internal static VerificationCodes CodesOf(GatehouseApp app, TimeProvider clock) => new(
        app.Services.GetRequiredService<IVerificationCodeStore>(),
        app.Services.GetRequiredService<ServerKeyRing>(),
        app.Services.GetRequiredService<IServiceScopeFactory>(),
        app.Services.GetRequiredService<IOptions<GatehouseOptions>>(),
        clock,
        NullLogger<VerificationCodes>.Instance);

    [Fact]
    public void Store_MatchesTheConfiguredStorage()
    {
        var store = fixture.App.Services.GetRequiredService<IVerificationCodeStore>();
        Assert.IsType(TestStorage.RedisConnection is not null && TestStorage.UsesRealServers
            ? typeof(RedisVerificationCodeStore)
            : typeof(MemoryVerificationCodeStore), store);
    }

    [Fact]
    public async Task Issue_GivesSixDigitsValidForTenMinutes()
    {
        var issued = await Codes.IssueAsync(Guid.NewGuid(), VerificationPurpose.ConfirmEmail, Cancel);

        Assert.Matches("^[0-9]{6}$", issued.Code);
        Assert.Equal(_clock.GetUtcNow() + TimeSpan.FromMinutes(10), issued.ExpiresAt);
    }

    [Fact]
    public async Task Codes_AreRandom()
    {
        var user = Guid.NewGuid();
        var codes = new HashSet<string>();
        for (var i = 0; i < 200; i++)
        {
            codes.Add((await Codes.IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel)).Code);
        }

        // 200 draws from a million values: two collisions are already unlikely (p < 0.0002).
        Assert.True(codes.Count >= 198, $"only {codes.Count} distinct codes in 200");
    }

    [Fact]
    public async Task RightCode_IsValidOnce_ThenNotFound()
    {
        var user = Guid.NewGuid();
        var issued = await Codes.IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel);

        Assert.Equal(CodeCheckResult.Valid, await Codes.VerifyAsync(user, VerificationPurpose.ConfirmEmail, issued.Code, Cancel));
        Assert.Equal(CodeCheckResult.NotFound, await Codes.VerifyAsync(user, VerificationPurpose.ConfirmEmail, issued.Code, Cancel));
    }

    [Fact]
    public async Task RightCode_WithSurroundingSpaces_IsValid()
    {
        var user = Guid.NewGuid();
        var issued = await Codes.IssueAsync(user, VerificationPurpose.ResetPassword, Cancel);

        Assert.Equal(CodeCheckResult.Valid, await Codes.VerifyAsync(user, VerificationPurpose.ResetPassword, $" {issued.Code}\n", Cancel));
    }

    [Fact]
    public async Task Code_IsBoundToItsPurpose()
    {
        var user = Guid.NewGuid();
        var issued = await Codes.IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel);
        await Codes.IssueAsync(user, VerificationPurpose.ResetPassword, Cancel);

        Assert.Equal(CodeCheckResult.Invalid, await Codes.VerifyAsync(user, VerificationPurpose.ResetPassword, issued.Code, Cancel));
        Assert.Equal(CodeCheckResult.Valid, await Codes.VerifyAsync(user, VerificationPurpose.ConfirmEmail, issued.Code, Cancel));
    }

    [Fact]
    public async Task Code_IsBoundToItsUser()
    {
        var owner = Guid.NewGuid();
        var other = Guid.NewGuid();
        var issued = await Codes.IssueAsync(owner, VerificationPurpose.ConfirmEmail, Cancel);

        Assert.Equal(CodeCheckResult.NotFound, await Codes.VerifyAsync(other, VerificationPurpose.ConfirmEmail, issued.Code, Cancel));
        await Codes.IssueAsync(other, VerificationPurpose.ConfirmEmail, Cancel);
        Assert.NotEqual(CodeCheckResult.Valid, await Codes.VerifyAsync(other, VerificationPurpose.ConfirmEmail, issued.Code, Cancel));
        Assert.Equal(CodeCheckResult.Valid, await Codes.VerifyAsync(owner, VerificationPurpose.ConfirmEmail, issued.Code, Cancel));
    }

    [Fact]
    public async Task NewCode_VoidsTheOldOne()
    {
        var user = Guid.NewGuid();
        string first;
        string second;
        do
        {
            first = (await Codes.IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel)).Code;
            second = (await Codes.IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel)).Code;
        }
        while (first == second);

        Assert.Equal(CodeCheckResult.Invalid, await Codes.VerifyAsync(user, VerificationPurpose.ConfirmEmail, first, Cancel));
        Assert.Equal(CodeCheckResult.Valid, await Codes.VerifyAsync(user, VerificationPurpose.ConfirmEmail, second, Cancel));
    }

    [Theory]
    [InlineData(599, CodeCheckResult.Valid)]
    [InlineData(601, CodeCheckResult.NotFound)]
    public async Task Code_ExpiresAfterTenMinutes(int secondsLater, CodeCheckResult expected)
    {
        var user = Guid.NewGuid();
        var issued = await Codes.IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel);

        _clock.Advance(TimeSpan.FromSeconds(secondsLater));

        Assert.Equal(expected, await Codes.VerifyAsync(user, VerificationPurpose.ConfirmEmail, issued.Code, Cancel));
    }

    [Fact]
    public async Task FiveWrongAttempts_VoidTheCode_EvenForTheRightOne()
    {
        var user = Guid.NewGuid();
        var issued = await Codes.IssueAsync(user, VerificationPurpose.ResetPassword, Cancel);
        var wrong = Wrong(issued.Code);

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            Assert.Equal(CodeCheckResult.Invalid, await Codes.VerifyAsync(user, VerificationPurpose.ResetPassword, wrong, Cancel));
        }

        Assert.Equal(CodeCheckResult.TooManyAttempts, await Codes.VerifyAsync(user, VerificationPurpose.ResetPassword, wrong, Cancel));
        Assert.Equal(CodeCheckResult.TooManyAttempts, await Codes.VerifyAsync(user, VerificationPurpose.ResetPassword, issued.Code, Cancel));
    }

    [Fact]
    public async Task RightCode_AfterFourWrongAttempts_IsStillValid()
    {
        var user = Guid.NewGuid();
        var issued = await Codes.IssueAsync(user, VerificationPurpose.ResetPassword, Cancel);
        await GuessWrongAsync(user, VerificationPurpose.ResetPassword, issued.Code, times: 4);

        Assert.Equal(CodeCheckResult.Valid, await Codes.VerifyAsync(user, VerificationPurpose.ResetPassword, issued.Code, Cancel));
    }

    [Fact]
    public async Task NewCode_AfterTooManyAttempts_Works()
    {
        var user = Guid.NewGuid();
        var issued = await Codes.IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel);
        await GuessWrongAsync(user, VerificationPurpose.ConfirmEmail, issued.Code, times: 5);

        var fresh = await Codes.IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel);
        Assert.Equal(CodeCheckResult.Valid, await Codes.VerifyAsync(user, VerificationPurpose.ConfirmEmail, fresh.Code, Cancel));
    }

    [Fact]
    public async Task ParallelGuesses_CannotExceedTheAttemptLimit()
    {
        var user = Guid.NewGuid();
        var issued = await Codes.IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel);
        var guesses = Enumerable.Range(0, 40)
            .Select(i => Task.Run(() => Codes.VerifyAsync(user, VerificationPurpose.ConfirmEmail, Wrong(issued.Code, i), Cancel), Cancel));

        var results = await Task.WhenAll(guesses);

        Assert.Equal(4, results.Count(result => result == CodeCheckResult.Invalid));
        Assert.Equal(36, results.Count(result => result == CodeCheckResult.TooManyAttempts));
        Assert.Equal(CodeCheckResult.TooManyAttempts, await Codes.VerifyAsync(user, VerificationPurpose.ConfirmEmail, issued.Code, Cancel));
    }

    [Fact]
    public async Task ParallelRightCodes_AreValidExactlyOnce()
    {
        var user = Guid.NewGuid();
        var issued = await Codes.IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel);

        var results = await Task.WhenAll(Enumerable.Range(0, 5)
            .Select(_ => Task.Run(() => Codes.VerifyAsync(user, VerificationPurpose.ConfirmEmail, issued.Code, Cancel), Cancel)));

        Assert.Single(results, result => result == CodeCheckResult.Valid);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("abcdef")]
    [InlineData("１２３４５６")]
    public async Task MalformedInput_IsInvalid(string presented)
    {
        var user = Guid.NewGuid();
        await Codes.IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel);

        Assert.Equal(CodeCheckResult.Invalid, await Codes.VerifyAsync(user, VerificationPurpose.ConfirmEmail, presented, Cancel));
        Assert.Equal(CodeCheckResult.Invalid, await Codes.VerifyAsync(user, VerificationPurpose.ConfirmEmail, new string('9', 100_000), Cancel));
    }

    [Fact]
    public async Task Void_RemovesTheLiveCode()
    {
        var user = Guid.NewGuid();
        var issued = await Codes.IssueAsync(user, VerificationPurpose.ResetPassword, Cancel);

        await Codes.VoidAsync(user, VerificationPurpose.ResetPassword, Cancel);

        Assert.Equal(CodeCheckResult.NotFound, await Codes.VerifyAsync(user, VerificationPurpose.ResetPassword, issued.Code, Cancel));
    }

    [Fact]
    public async Task Store_HoldsAnHmacUnderTheDatabaseKey_NotTheCode()
    {
        var user = Guid.NewGuid();
        var issued = await Codes.IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel);
        var store = fixture.App.Services.GetRequiredService<IVerificationCodeStore>();

        var stored = (await store.CountAttemptAsync($"ConfirmEmail:{user:N}", 5, _clock.GetUtcNow(), Cancel)).Code;

        Assert.NotNull(stored);
        Assert.Equal(32, stored.Mac.Length);
        Assert.DoesNotContain(issued.Code, Encoding.Latin1.GetString(stored.Mac));
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var key = await scope.ServiceProvider.GetRequiredService<GatehouseDbContext>().ServerKeys.FindAsync([stored.KeyId], Cancel);
        Assert.Equal(ServerKeyUse.CodeMac, key?.Use);
    }

    [Fact]
    public async Task CodeIssuedBeforeKeyRotation_StillVerifies()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = new GatehouseApp(storage);
        var user = Guid.NewGuid();
        var issued = await CodesOf(app, _clock).IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel);
        var ring = app.Services.GetRequiredService<ServerKeyRing>();
        var before = ring.CodeMacKeys[0].Id;

        await using (var scope = app.Services.CreateAsyncScope())
        {
            await ring.RotateAsync(scope.ServiceProvider.GetRequiredService<GatehouseDbContext>(), Cancel);
        }

        Assert.NotEqual(before, ring.CodeMacKeys[0].Id);
        Assert.Equal(CodeCheckResult.Valid, await CodesOf(app, _clock).VerifyAsync(user, VerificationPurpose.ConfirmEmail, issued.Code, Cancel));
    }

    [Fact]
    public async Task CodeIssuedOnOneNode_VerifiesOnAnother_WhenRedisIsShared()
    {
        Assert.SkipUnless(TestStorage.UsesRealServers && TestStorage.RedisConnection is not null, "codes are shared between nodes only through Redis");
        await using var storage = await TestStorage.CreateAsync();
        await using var first = new GatehouseApp(storage);
        await using var second = new GatehouseApp(storage);
        var user = Guid.NewGuid();

        var issued = await CodesOf(first, _clock).IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel);

        Assert.Equal(CodeCheckResult.Valid, await CodesOf(second, _clock).VerifyAsync(user, VerificationPurpose.ConfirmEmail, issued.Code, Cancel));
    }

    private async Task GuessWrongAsync(Guid user, VerificationPurpose purpose, string code, int times)
    {
        for (var attempt = 1; attempt <= times; attempt++)
        {
            await Codes.VerifyAsync(user, purpose, Wrong(code), Cancel);
        }
    }

    private static string Wrong(string code, int salt = 1)
    {
        var digits = code.ToCharArray();
        digits[^1] = (char)('0' + ((digits[^1] - '0' + 1 + (salt % 9)) % 10));
        return new string(digits);
    }
}

public sealed class ConfiguredCodesFixture : GatehouseFixture
{
    protected override IReadOnlyDictionary<string, string?> Overrides => new Dictionary<string, string?>
    {
        ["Gatehouse:Codes:Digits"] = "8",
        ["Gatehouse:Codes:Lifetime"] = "00:02:00",
        ["Gatehouse:Codes:MaxAttempts"] = "2",
    };
}

public sealed class ConfiguredVerificationCodeTests(ConfiguredCodesFixture fixture) : IClassFixture<ConfiguredCodesFixture>
{
    private readonly ManualClock _clock = new();
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Settings_ChangeDigitsLifetimeAndAttempts()
    {
        var codes = VerificationCodeTests.CodesOf(fixture.App, _clock);
        var user = Guid.NewGuid();

        var issued = await codes.IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel);
        Assert.Matches("^[0-9]{8}$", issued.Code);
        Assert.Equal(_clock.GetUtcNow() + TimeSpan.FromMinutes(2), issued.ExpiresAt);

        Assert.Equal(CodeCheckResult.Invalid, await codes.VerifyAsync(user, VerificationPurpose.ConfirmEmail, "00000000" == issued.Code ? "11111111" : "00000000", Cancel));
        Assert.Equal(CodeCheckResult.TooManyAttempts, await codes.VerifyAsync(user, VerificationPurpose.ConfirmEmail, "00000000" == issued.Code ? "11111111" : "00000000", Cancel));
    }

    [Theory]
    [InlineData("Gatehouse:Codes:Digits", "4")]
    [InlineData("Gatehouse:Codes:Digits", "12")]
    [InlineData("Gatehouse:Codes:Lifetime", "01:00:00")]
    [InlineData("Gatehouse:Codes:Lifetime", "00:00:10")]
    [InlineData("Gatehouse:Codes:MaxAttempts", "0")]
    [InlineData("Gatehouse:Codes:MaxAttempts", "100")]
    public void WrongSetting_StopsStartUp_NamingTheKey(string key, string value)
    {
        var problems = SettingsCheck.ProblemsWith((key, value));

        Assert.Contains(problems, problem => problem.StartsWith(key, StringComparison.Ordinal));
    }
}
