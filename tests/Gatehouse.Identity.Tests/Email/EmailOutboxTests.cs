using System.Net;
using System.Net.Sockets;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Email;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Tests.Email;

/// <summary>Delivery in the background: retries, permanent failures, slow servers, a full queue.</summary>
public sealed class EmailOutboxTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static EmailMessage Message(string to) => new(to, "Outbox test " + Guid.NewGuid().ToString("N"), "plain text", "<p>html</p>");

    private static GatehouseOptions SmtpSettings(int port, int maxAttempts = 3, string? userName = null, string? password = null, TimeSpan? timeout = null) => new()
    {
        Email = new EmailOptions
        {
            From = "Outbox <no-reply@gatehouse.test>",
            MaxAttempts = maxAttempts,
            RetryDelay = TimeSpan.FromMilliseconds(50),
            Smtp = new SmtpOptions
            {
                Host = "127.0.0.1",
                Port = port,
                Security = SmtpSecurity.None,
                UserName = userName,
                Password = password,
                Timeout = timeout ?? TimeSpan.FromSeconds(10),
            },
        },
    };

    private static async Task<(EmailOutbox Outbox, CapturingLogger<EmailOutbox> Log)> StartOutboxAsync(GatehouseOptions settings)
    {
        var options = Options.Create(settings);
        var log = new CapturingLogger<EmailOutbox>();
        var outbox = new EmailOutbox(new SmtpEmailSender(options), options, TimeProvider.System, log);
        await outbox.StartAsync(Cancel);
        return (outbox, log);
    }

    [Fact]
    public async Task TemporaryFailures_AreRetried_UntilTheMessageIsDelivered()
    {
        await using var mailbox = await TestMailbox.StartAsync(failFirst: 2);
        var (outbox, log) = await StartOutboxAsync(SmtpSettings(mailbox.Port, maxAttempts: 3));
        var message = Message("retry@example.test");

        Assert.True(outbox.Enqueue(message));

        var received = await mailbox.WaitForMessageAsync("retry@example.test");
        Assert.Equal(message.Subject, received.Subject);
        Assert.Equal(2, log.Entries.Count(entry => entry.EventId.Id == 1401));
        await outbox.StopAsync(Cancel);
    }

    [Fact]
    public async Task ServerThatNeverAnswers_DoesNotHoldUpEnqueue_AndOtherMessagesAreStillTried()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var (outbox, _) = await StartOutboxAsync(SmtpSettings(port, timeout: TimeSpan.FromMinutes(1)));

        // Each call returns while the previous message is still stuck waiting for a greeting.
        Assert.True(outbox.Enqueue(Message("first@example.test")));
        using var first = await silent.AcceptTcpClientAsync(Cancel);
        Assert.True(outbox.Enqueue(Message("second@example.test")));
        using var second = await silent.AcceptTcpClientAsync(Cancel);

        Assert.True(first.Connected && second.Connected);
        await outbox.StopAsync(new CancellationToken(canceled: true));
    }

    [Fact]
    public async Task UnreachableServer_IsLoggedAfterTheLastAttempt_NotThrown()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var (outbox, log) = await StartOutboxAsync(SmtpSettings(port, maxAttempts: 2));

        Assert.True(outbox.Enqueue(Message("nobody@example.test")));

        var gaveUp = await log.WaitForAsync(1402);
        Assert.Contains("after 2 attempt(s)", gaveUp.Message);
        Assert.NotNull(gaveUp.Exception);
        Assert.Single(log.Entries, entry => entry.EventId.Id == 1401);
        await outbox.StopAsync(Cancel);
    }

    [Fact]
    public async Task WrongCredentials_AreNotRetried()
    {
        await using var mailbox = await TestMailbox.StartAsync(userName: "mailer", password: "right-password");
        var (outbox, log) = await StartOutboxAsync(SmtpSettings(mailbox.Port, maxAttempts: 5, userName: "mailer", password: "wrong-password"));

        outbox.Enqueue(Message("auth@example.test"));

        Assert.Contains("after 1 attempt(s)", (await log.WaitForAsync(1402)).Message);
        Assert.Empty(mailbox.MessagesTo("auth@example.test"));
        await outbox.StopAsync(Cancel);
    }

    [Fact]
    public async Task RightCredentials_AreUsed()
    {
        await using var mailbox = await TestMailbox.StartAsync(userName: "mailer", password: "right-password");
        var (outbox, _) = await StartOutboxAsync(SmtpSettings(mailbox.Port, userName: "mailer", password: "right-password"));

        outbox.Enqueue(Message("auth@example.test"));

        await mailbox.WaitForMessageAsync("auth@example.test");
        await outbox.StopAsync(Cancel);
    }

    [Fact]
    public void FullQueue_DropsTheMessage_WithAWarning()
    {
        var settings = SmtpSettings(25);
        settings.Email.QueueCapacity = 1;
        var log = new CapturingLogger<EmailOutbox>();
        var options = Options.Create(settings);
        using var outbox = new EmailOutbox(new SmtpEmailSender(options), options, TimeProvider.System, log);

        Assert.True(outbox.Enqueue(Message("one@example.test")));
        Assert.False(outbox.Enqueue(Message("two@example.test")));
        Assert.Single(log.Entries, entry => entry.EventId.Id == 1403);
    }

    [Fact]
    public async Task PickupFolder_WritesAnEmlFile_AndLogsWhere()
    {
        var folder = Path.Combine(Path.GetTempPath(), "gatehouse-pickup", Guid.NewGuid().ToString("N"));
        var settings = new GatehouseOptions { Email = new EmailOptions { PickupDirectory = folder } };
        var log = new CapturingLogger<PickupFolderEmailSender>();
        var sender = new PickupFolderEmailSender(Options.Create(settings), TimeProvider.System, log);
        try
        {
            await sender.SendAsync(Message("pickup@example.test"), Cancel);

            var file = Assert.Single(Directory.GetFiles(folder));
            Assert.EndsWith(".eml", file);
            var message = await MimeKit.MimeMessage.LoadAsync(file, Cancel);
            Assert.Equal("pickup@example.test", message.To.Mailboxes.Single().Address);
            Assert.Equal("plain text", message.TextBody?.Trim());
            Assert.Contains(file, Assert.Single(log.Entries).Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Start_LogsWhereEmailGoes()
    {
        var (smtpOutbox, smtpLog) = await StartOutboxAsync(SmtpSettings(2525));
        Assert.Contains("127.0.0.1:2525", (await smtpLog.WaitForAsync(1407)).Message);
        await smtpOutbox.StopAsync(Cancel);

        var settings = new GatehouseOptions { Email = new EmailOptions { PickupDirectory = "some/mail/folder" } };
        var (pickupOutbox, pickupLog) = await StartOutboxAsync(settings);
        Assert.Contains(Path.GetFullPath("some/mail/folder"), (await pickupLog.WaitForAsync(1407)).Message);
        await pickupOutbox.StopAsync(Cancel);
    }

    [Fact]
    public async Task WithoutSmtpHost_TheServiceWritesToThePickupFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "gatehouse-pickup", Guid.NewGuid().ToString("N"));
        await using var storage = await TestStorage.CreateAsync();
        await using var app = new GatehouseApp(storage, new Dictionary<string, string?>
        {
            ["Gatehouse:Email:Smtp:Host"] = "",
            ["Gatehouse:Email:PickupDirectory"] = folder,
        });
        try
        {
            Assert.IsType<PickupFolderEmailSender>(app.Services.GetRequiredService<IEmailSender>());
            await app.Services.GetRequiredService<IAccountMailer>().SendPasswordChangedAsync("pickup@example.test", Cancel);

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!Directory.Exists(folder) || Directory.GetFiles(folder, "*.eml").Length == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "no .eml file was written");
                await Task.Delay(50, Cancel);
            }
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("Gatehouse:Email:From", "not an address")]
    [InlineData("Gatehouse:Email:Smtp:Port", "70000")]
    [InlineData("Gatehouse:Email:Smtp:Security", "Tls")]
    [InlineData("Gatehouse:Email:Smtp:UserName", "only-a-user")]
    [InlineData("Gatehouse:Email:Smtp:Timeout", "00:00:00")]
    [InlineData("Gatehouse:Email:MaxAttempts", "0")]
    [InlineData("Gatehouse:Email:RetryDelay", "01:00:00")]
    [InlineData("Gatehouse:Email:QueueCapacity", "0")]
    public void WrongSetting_StopsStartUp_NamingTheKey(string key, string value)
    {
        var problems = SettingsCheck.ProblemsWith(("Gatehouse:Email:Smtp:Host", "smtp.example.com"), (key, value));

        Assert.Contains(problems, problem => problem.StartsWith(key, StringComparison.Ordinal));
    }

    [Fact]
    public void NoSmtpAndNoPickupFolder_StopsStartUp()
    {
        var settings = new GatehouseOptions { Email = new EmailOptions { PickupDirectory = " " } };

        Assert.Contains(GatehouseOptionsValidator.Check(settings), problem => problem.StartsWith("Gatehouse:Email:PickupDirectory", StringComparison.Ordinal));
    }
}
