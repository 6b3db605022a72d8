using System.Collections.Concurrent;
using System.Net;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Gatehouse.Identity.Tests.Connect;

/// <summary>A client's back-channel logout endpoint on a real socket that refuses as many attempts as it is told to.</summary>
public sealed class LogoutReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _refusalsLeft;
    private int _attempts;
    private TaskCompletionSource? _hold;

    private LogoutReceiver(WebApplication app, int refusals)
    {
        _app = app;
        _refusalsLeft = refusals;
    }

    public ConcurrentQueue<string> Accepted { get; } = new();

    public int Attempts => Volatile.Read(ref _attempts);

    public string Uri => _app.Urls.First() + "/backchannel-logout";

    public int RefusalsLeft
    {
        set => Volatile.Write(ref _refusalsLeft, value);
    }

    /// <summary>From now on, attempts get no answer until <see cref="Answer"/>.</summary>
    public void Hold() => Volatile.Write(ref _hold, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Answer() => Volatile.Read(ref _hold)?.TrySetResult();

    public static async Task<LogoutReceiver> StartAsync(int refusals)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new LogoutReceiver(app, refusals);
        app.MapPost("/backchannel-logout", async (HttpContext http) =>
        {
            Interlocked.Increment(ref receiver._attempts);
            if (Volatile.Read(ref receiver._hold) is { } hold)
            {
                await hold.Task.WaitAsync(http.RequestAborted);
            }

            if (Interlocked.Decrement(ref receiver._refusalsLeft) >= 0)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            receiver.Accepted.Enqueue((await http.Request.ReadFormAsync()).TryGetValue("logout_token", out var token) ? token.ToString() : "");
            return Results.Ok();
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

public sealed class BackChannelLogoutDeliveryTests
{
    private static GatehouseApp Start(TestStorage storage, LogoutReceiver receiver, string firstRetryDelay = "00:00:00.2", string giveUpAfter = "01:00:00") =>
        new(storage, new Dictionary<string, string?>(OidcFixture.BrowserClients(backChannel: receiver.Uri))
        {
            ["Gatehouse:BackChannelLogout:FirstRetryDelay"] = firstRetryDelay,
            ["Gatehouse:BackChannelLogout:MaxRetryDelay"] = "00:00:05",
            ["Gatehouse:BackChannelLogout:PollInterval"] = "00:00:00.2",
            ["Gatehouse:BackChannelLogout:GiveUpAfter"] = giveUpAfter,
        });

    /// <summary>Signs in through the code flow, then ends the session with the ID token as hint.</summary>
    private static async Task<string> SignInAndOutAsync(GatehouseApp app)
    {
        using var browser = BrowserFlow.For(app);
        var (code, _) = await browser.GetCodeAsync(browser.AuthorizeUrl(OidcFixture.WebClient, OidcFixture.WebRedirect, "openid offline_access"), consent: false);
        using var redeemed = await browser.RedeemAsync(code, OidcFixture.WebClient, OidcFixture.WebRedirect, OidcFixture.WebSecret);
        var idToken = new JsonWebToken((await BrowserFlow.TokensAsync(redeemed)).GetProperty("id_token").GetString());
        using var ended = await browser.GetAsync("/connect/endsession?id_token_hint=" + idToken.EncodedToken
            + "&post_logout_redirect_uri=" + Uri.EscapeDataString(OidcFixture.WebLoggedOut));
        Assert.Equal(HttpStatusCode.Redirect, ended.StatusCode);
        return idToken.GetClaim("sid").Value;
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        for (var waited = 0; !condition(); waited += 50)
        {
            Assert.True(waited < 20_000, what + ": still not true after 20 s");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    private static async Task<int> PendingAsync(GatehouseApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<GatehouseDbContext>().BackChannelLogoutDeliveries.CountAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Logout_ToAClientThatRefusesTwice_IsDeliveredOnTheThirdAttempt_AndOnlyOnce()
    {
        await using var receiver = await LogoutReceiver.StartAsync(refusals: 2);
        await using var storage = await TestStorage.CreateAsync();
        await using var app = Start(storage, receiver);

        var sessionId = await SignInAndOutAsync(app);

        await UntilAsync(() => !receiver.Accepted.IsEmpty, "the notice is delivered");
        var token = new JsonWebToken(Assert.Single(receiver.Accepted));
        Assert.Equal(3, receiver.Attempts);
        Assert.Equal("logout+jwt", token.Typ);
        Assert.Equal(sessionId, token.GetClaim("sid").Value);
        Assert.Equal([OidcFixture.WebClient], token.Audiences);

        await UntilAsync(() => PendingAsync(app).GetAwaiter().GetResult() == 0, "the delivered notice leaves the outbox");
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        Assert.Equal(3, receiver.Attempts);
        Assert.Single(receiver.Accepted);
    }

    [Fact]
    public async Task Logout_NotYetDeliveredWhenTheServiceStops_IsDeliveredAfterARestart()
    {
        await using var receiver = await LogoutReceiver.StartAsync(refusals: int.MaxValue);
        await using var storage = await TestStorage.CreateAsync();
        await using (var first = Start(storage, receiver, firstRetryDelay: "00:00:03"))
        {
            await SignInAndOutAsync(first);
            await UntilAsync(() => receiver.Attempts >= 1, "the first attempt is made");
            await UntilAsync(() => PendingAsync(first).GetAwaiter().GetResult() == 1, "the refused notice waits in the outbox");
        }

        receiver.RefusalsLeft = 0;
        await using var second = Start(storage, receiver, firstRetryDelay: "00:00:03");
        _ = second.Server;

        await UntilAsync(() => !receiver.Accepted.IsEmpty, "the restarted service delivers the stored notice");
        Assert.Single(receiver.Accepted);
    }

    [Fact]
    public async Task Logout_BeingSentWhenTheServiceStops_IsSentAgainAtOnceAfterARestart()
    {
        await using var receiver = await LogoutReceiver.StartAsync(refusals: 0);
        receiver.Hold();
        await using var storage = await TestStorage.CreateAsync();
        await using (var first = Start(storage, receiver))
        {
            await SignInAndOutAsync(first);
            // The attempt is under way and gets no answer; stopping the service cuts it short.
            await UntilAsync(() => receiver.Attempts >= 1, "the first attempt is made");
        }

        receiver.Answer();
        await using var second = Start(storage, receiver);
        _ = second.Server;

        // Not after the two-minute claim the cut-short attempt took: the notice was handed back.
        await UntilAsync(() => !receiver.Accepted.IsEmpty, "the restarted service sends the notice again");
        Assert.Single(receiver.Accepted);
    }

    [Fact]
    public async Task Logout_ToAClientThatNeverAccepts_IsGivenUpAfterItsTime()
    {
        await using var receiver = await LogoutReceiver.StartAsync(refusals: int.MaxValue);
        await using var storage = await TestStorage.CreateAsync();
        await using var app = Start(storage, receiver, giveUpAfter: "00:00:03");

        await SignInAndOutAsync(app);

        await UntilAsync(() => receiver.Attempts >= 2 && PendingAsync(app).GetAwaiter().GetResult() == 0, "the notice is retried, then dropped");
        var attempts = receiver.Attempts;
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        Assert.Equal(attempts, receiver.Attempts);
        Assert.Empty(receiver.Accepted);
    }
}
