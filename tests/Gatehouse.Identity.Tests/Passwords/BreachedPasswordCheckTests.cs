using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Passwords;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PasswordOptions = Gatehouse.Identity.Configuration.PasswordOptions;

namespace Gatehouse.Identity.Tests.Passwords;

/// <summary>
/// The breach check against a local stand-in for the range API, on a real socket: it answers like the
/// real one (suffix:count lines, padding entries with count 0), or fails, or never answers.
/// </summary>
public sealed class BreachedPasswordCheckTests : IAsyncLifetime
{
    private const string Breached = "Tr0ub4dor&3-but-longer";
    private const string Padded = "a password only in the padding";
    private const string Clean = "a passphrase nobody has leaked yet";

    private readonly ConcurrentQueue<(string Path, string? Padding)> _requests = new();
    private WebApplication? _standIn;
    private string _mode = "answer";

    private string BaseUrl { get; set; } = "";

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _standIn = builder.Build();
        _standIn.MapGet("/range/{prefix}", async (string prefix, HttpContext context) =>
        {
            _requests.Enqueue((context.Request.Path, context.Request.Headers["Add-Padding"].ToString()));
            switch (_mode)
            {
                case "fail":
                    return Results.StatusCode(503);
                case "hang":
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                    return Results.Ok();
            }

            var lines = new StringBuilder();
            lines.Append("0018A45C4D1DEF81644B54AB7F969B88D65:3\r\n");
            foreach (var (password, count) in new[] { (Breached, 52_579), (Padded, 0) })
            {
                var hash = Sha1(password);
                if (hash.StartsWith(prefix, StringComparison.Ordinal))
                {
                    lines.Append(hash[5..]).Append(':').Append(count).Append("\r\n");
                }
            }

            lines.Append("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF:0");
            return Results.Text(lines.ToString());
        });
        await _standIn.StartAsync(TestContext.Current.CancellationToken);
        BaseUrl = _standIn.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
    }

    public async ValueTask DisposeAsync()
    {
        if (_standIn is not null)
        {
            await _standIn.DisposeAsync();
        }
    }

    private static string Sha1(string password) => Convert.ToHexString(SHA1.HashData(Encoding.UTF8.GetBytes(password)));

    private (PasswordPolicy Policy, CapturingLogger<BreachedPasswordCheck> Log) PolicyWith(bool enabled, TimeSpan? timeout = null)
    {
        var settings = new PasswordOptions
        {
            Breached = new BreachedPasswordOptions { Enabled = enabled, BaseUrl = BaseUrl, Timeout = timeout ?? TimeSpan.FromSeconds(10) },
        };
        var log = new CapturingLogger<BreachedPasswordCheck>();
        var options = Options.Create(new GatehouseOptions { Passwords = settings });
        return (new PasswordPolicy(options, new BreachedPasswordCheck(new HttpClient(), options, log)), log);
    }

    private static async Task<string?> RefusalOf(PasswordPolicy policy, string password)
    {
        var result = await policy.ValidateAsync(null!, new Gatehouse.Identity.Data.Users.GatehouseUser(), password);
        return result.Succeeded ? null : Assert.Single(result.Errors).Code;
    }

    [Fact]
    public async Task BreachedPassword_IsRefused_AndOnlyFiveHexDigitsLeave()
    {
        var (policy, _) = PolicyWith(enabled: true);

        Assert.Equal(PasswordErrors.BreachedCode, await RefusalOf(policy, Breached));

        var (path, padding) = Assert.Single(_requests);
        Assert.Equal("/range/" + Sha1(Breached)[..5], path);
        Assert.Equal("true", padding);
    }

    [Fact]
    public async Task PasswordListedOnlyAsPadding_IsAccepted()
    {
        var (policy, _) = PolicyWith(enabled: true);

        Assert.Null(await RefusalOf(policy, Padded));
    }

    [Fact]
    public async Task UnlistedPassword_IsAccepted()
    {
        var (policy, _) = PolicyWith(enabled: true);

        Assert.Null(await RefusalOf(policy, Clean));
        Assert.Single(_requests);
    }

    [Fact]
    public async Task Disabled_ByDefault_NoRequestIsMade()
    {
        Assert.False(new PasswordOptions().Breached.Enabled);
        var (policy, _) = PolicyWith(enabled: false);

        Assert.Null(await RefusalOf(policy, Breached));
        Assert.Empty(_requests);
    }

    [Fact]
    public async Task CommonOrShortPassword_IsRefusedWithoutAsking()
    {
        var (policy, _) = PolicyWith(enabled: true);

        Assert.Equal(PasswordErrors.CommonCode, await RefusalOf(policy, "password1"));
        Assert.Equal(PasswordErrors.TooShortCode, await RefusalOf(policy, "short"));
        Assert.Empty(_requests);
    }

    [Fact]
    public async Task Outage_FailsOpen_WithAWarning()
    {
        _mode = "fail";
        var (policy, log) = PolicyWith(enabled: true);

        Assert.Null(await RefusalOf(policy, Breached));

        var warning = await log.WaitForAsync(1501);
        Assert.Contains("503", warning.Message);
    }

    [Fact]
    public async Task ServerThatNeverAnswers_FailsOpenAtTheTimeout_WithAWarning()
    {
        _mode = "hang";
        var (policy, log) = PolicyWith(enabled: true, timeout: TimeSpan.FromMilliseconds(300));

        Assert.Null(await RefusalOf(policy, Breached));

        Assert.Contains("no answer within", (await log.WaitForAsync(1501)).Message);
    }

    [Fact]
    public async Task NothingListening_FailsOpen_WithAWarning()
    {
        await _standIn!.StopAsync(TestContext.Current.CancellationToken);
        var (policy, log) = PolicyWith(enabled: true);

        Assert.Null(await RefusalOf(policy, Breached));

        await log.WaitForAsync(1501);
    }
}
