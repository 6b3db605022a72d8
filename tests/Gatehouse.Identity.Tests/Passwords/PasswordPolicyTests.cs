using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Passwords;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using PasswordOptions = Gatehouse.Identity.Configuration.PasswordOptions;

namespace Gatehouse.Identity.Tests.Passwords;

public sealed class PasswordPolicyTests
{
    private static readonly GatehouseUser User = new() { Id = Guid.NewGuid(), Email = "someone@example.test" };

    internal static PasswordPolicy Policy(PasswordOptions? settings = null, BreachedPasswordCheck? breached = null)
    {
        var options = Options.Create(new GatehouseOptions { Passwords = settings ?? new PasswordOptions() });
        return new PasswordPolicy(options, breached ?? new BreachedPasswordCheck(new HttpClient(), options, new CapturingLogger<BreachedPasswordCheck>()));
    }

    private static async Task<string?> RefusalOf(string? password, PasswordOptions? settings = null)
    {
        var result = await Policy(settings).ValidateAsync(null!, User, password);
        return result.Succeeded ? null : Assert.Single(result.Errors).Code;
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("seven77")]
    [InlineData("\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600")]
    [InlineData("e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301")]
    public async Task ShorterThanEightCodePoints_IsTooShort(string? password)
    {
        Assert.Equal(PasswordErrors.TooShortCode, await RefusalOf(password));
    }

    [Theory]
    [InlineData("eight-8!")]
    [InlineData("\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600\U0001F600")]
    [InlineData("\uFB01\uFB01\uFB01\uFB01")]
    [InlineData("correct horse battery staple")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("пароль-для-входа")]
    public async Task EightCodePointsOrMore_WithoutCompositionRules_IsAccepted(string password)
    {
        Assert.Null(await RefusalOf(password));
    }

    [Fact]
    public async Task LongerThanTheMaximum_IsTooLong()
    {
        Assert.Null(await RefusalOf(new string('x', 256)));
        Assert.Equal(PasswordErrors.TooLongCode, await RefusalOf(new string('x', 257)));
        Assert.Equal(PasswordErrors.TooLongCode, await RefusalOf(new string('x', 65), new PasswordOptions { MaxLength = 64 }));
    }

    [Fact]
    public async Task ConfiguredMinimum_IsApplied()
    {
        var settings = new PasswordOptions { MinLength = 12 };

        Assert.Equal(PasswordErrors.TooShortCode, await RefusalOf("elevenchars", settings));
        Assert.Null(await RefusalOf("twelve chars", settings));
    }

    [Theory]
    [InlineData("password1")]
    [InlineData("baseball")]
    [InlineData("BaseBall")]
    [InlineData("\uFF42\uFF41\uFF53\uFF45\uFF42\uFF41\uFF4C\uFF4C")]
    [InlineData("qwertyuiop")]
    [InlineData("iloveyou1")]
    public async Task CommonPassword_IsRefused_WhateverItsCaseOrWidth(string password)
    {
        Assert.Equal(PasswordErrors.CommonCode, await RefusalOf(password));
    }

    [Fact]
    public async Task CommonPasswordCheck_CanBeTurnedOff()
    {
        Assert.Null(await RefusalOf("baseball", new PasswordOptions { RejectCommon = false }));
    }

    [Fact]
    public void CommonPasswordList_HasAtLeastTenThousandEntries()
    {
        Assert.True(CommonPasswords.Count >= 10_000, $"only {CommonPasswords.Count} entries");
    }

    [Fact]
    public async Task LoneSurrogate_IsRefusedAsMalformed()
    {
        Assert.Equal(PasswordErrors.MalformedCode, await RefusalOf("abcdefgh\uD800"));
    }

    [Fact]
    public async Task Errors_HaveReadableDescriptions()
    {
        var result = await Policy().ValidateAsync(null!, User, "short");

        Assert.Equal("Use at least 8 characters.", Assert.Single(result.Errors).Description);
    }

    [Theory]
    [InlineData("Gatehouse:Passwords:MinLength", "7")]
    [InlineData("Gatehouse:Passwords:MaxLength", "63")]
    [InlineData("Gatehouse:Passwords:Hashing:MemoryKiB", "19455")]
    [InlineData("Gatehouse:Passwords:Hashing:Iterations", "1")]
    [InlineData("Gatehouse:Passwords:Hashing:MaxConcurrent", "0")]
    [InlineData("Gatehouse:Passwords:Hashing:QueueTimeout", "00:00:00")]
    [InlineData("Gatehouse:Passwords:Breached:BaseUrl", "not a url")]
    [InlineData("Gatehouse:Passwords:Breached:Timeout", "00:10:00")]
    public void WrongSetting_StopsStartUp_NamingTheKey(string key, string value)
    {
        var problems = SettingsCheck.ProblemsWith(("Gatehouse:Passwords:Breached:Enabled", "true"), (key, value));

        Assert.Contains(problems, problem => problem.StartsWith(key, StringComparison.Ordinal));
    }

    [Fact]
    public void StrongerHashingSettings_AreAccepted()
    {
        Assert.Empty(SettingsCheck.ProblemsWith(
            ("Gatehouse:Passwords:Hashing:MemoryKiB", "47104"),
            ("Gatehouse:Passwords:Hashing:Iterations", "3"),
            ("Gatehouse:Passwords:MinLength", "12"),
            ("Gatehouse:Passwords:MaxLength", "1024")));
    }
}

public sealed class PasswordNormalisationStartupTests
{
    [Fact]
    public async Task WithoutIcu_TheServiceRefusesToStart_RatherThanSkipNormalisation()
    {
        var (exitCode, stderr) = await ServiceProcess.RunUntilExitAsync(new Dictionary<string, string>
        {
            ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1",
        });

        Assert.Equal(2, exitCode);
        Assert.Contains("NFKC", stderr);
    }
}
