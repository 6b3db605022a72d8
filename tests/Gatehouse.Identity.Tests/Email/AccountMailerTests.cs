using Gatehouse.Identity.Codes;
using Gatehouse.Identity.Email;
using Gatehouse.Identity.Tests.Infrastructure;
using MimeKit;

namespace Gatehouse.Identity.Tests.Email;

/// <summary>Messages written by the account mailer, delivered over SMTP to the test mailbox.</summary>
public sealed class AccountMailerTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private IAccountMailer Mailer => fixture.App.Services.GetRequiredService<IAccountMailer>();

    private static string NewAddress() => $"user-{Guid.NewGuid():N}@example.test";

    [Theory]
    [InlineData(VerificationPurpose.ConfirmEmail, "confirmation code")]
    [InlineData(VerificationPurpose.ResetPassword, "password reset code")]
    [InlineData(VerificationPurpose.ChangeEmail, "email change code")]
    public async Task CodeMessage_CarriesTheCode_InTextAndHtml_AndTheCodeVerifies(VerificationPurpose purpose, string subject)
    {
        var codes = fixture.App.Services.GetRequiredService<IVerificationCodes>();
        var user = Guid.NewGuid();
        var to = NewAddress();
        var issued = await codes.IssueAsync(user, purpose, Cancel);

        await Mailer.SendCodeAsync(to, purpose, issued, Cancel);

        var message = await TestMailbox.Shared.WaitForMessageAsync(to, subject);
        Assert.Equal(issued.Code, TestMailbox.ReadCode(message));
        Assert.Contains(issued.Code, message.HtmlBody);
        Assert.Contains("10 minutes", message.TextBody);
        Assert.Equal("no-reply@gatehouse.test", message.From.Mailboxes.Single().Address);
        Assert.Equal(CodeCheckResult.Valid, await codes.VerifyAsync(user, purpose, TestMailbox.ReadCode(message), Cancel));
    }

    [Fact]
    public async Task SignUpAttempt_TellsTheOwnerWithoutACode()
    {
        var to = NewAddress();

        await Mailer.SendSignUpAttemptAsync(to, Cancel);

        var message = await TestMailbox.Shared.WaitForMessageAsync(to, "tried to sign up");
        AssertBothBodies(message, "already has one");
        Assert.DoesNotMatch("[0-9]{6}", message.TextBody);
    }

    [Fact]
    public async Task PasswordChanged_TellsTheOwnerHowToReact()
    {
        var to = NewAddress();

        await Mailer.SendPasswordChangedAsync(to, Cancel);

        AssertBothBodies(await TestMailbox.Shared.WaitForMessageAsync(to, "password was changed"), "reset your password");
    }

    [Fact]
    public async Task EmailChangeAttempt_TellsTheOwnerWithoutACode()
    {
        var to = NewAddress();

        await Mailer.SendEmailChangeAttemptAsync(to, Cancel);

        var message = await TestMailbox.Shared.WaitForMessageAsync(to, "tried to move");
        AssertBothBodies(message, "no code was sent");
        Assert.DoesNotMatch("[0-9]{6}", message.TextBody);
    }

    [Theory]
    [InlineData("nora@example.com", "n***@example.com")]
    [InlineData("x@example.com", "x***@example.com")]
    [InlineData("\ud83d\ude00smile@example.com", "\ud83d\ude00***@example.com")]
    public async Task EmailChanged_TellsTheOldAddressTheNewOneMasked(string newAddress, string masked)
    {
        newAddress = System.Text.RegularExpressions.Regex.Unescape(newAddress);
        masked = System.Text.RegularExpressions.Regex.Unescape(masked);
        var to = NewAddress();

        await Mailer.SendEmailChangedAsync(to, newAddress, Cancel);

        var message = await TestMailbox.Shared.WaitForMessageAsync(to, "email address was changed");
        AssertBothBodies(message, "If this was not you");
        Assert.Contains(masked, message.TextBody);
        Assert.Contains(System.Text.Encodings.Web.HtmlEncoder.Default.Encode(masked), message.HtmlBody);
        Assert.DoesNotContain(newAddress, message.TextBody);
    }

    [Fact]
    public async Task AccountDeleted_ConfirmsTheDeletion()
    {
        var to = NewAddress();

        await Mailer.SendAccountDeletedAsync(to, Cancel);

        AssertBothBodies(await TestMailbox.Shared.WaitForMessageAsync(to, "account was deleted"), "were deleted");
    }

    [Fact]
    public async Task TwoCodes_ToOneAddress_ArriveAsTwoMessages_InOrder()
    {
        var codes = fixture.App.Services.GetRequiredService<IVerificationCodes>();
        var user = Guid.NewGuid();
        var to = NewAddress();
        var first = await codes.IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel);
        await Mailer.SendCodeAsync(to, VerificationPurpose.ConfirmEmail, first, Cancel);
        await TestMailbox.Shared.WaitForMessageAsync(to);
        var second = await codes.IssueAsync(user, VerificationPurpose.ConfirmEmail, Cancel);
        await Mailer.SendCodeAsync(to, VerificationPurpose.ConfirmEmail, second, Cancel);

        Assert.Equal(second.Code, TestMailbox.ReadCode(await TestMailbox.Shared.WaitForMessageAsync(to)));
        Assert.Equal(2, TestMailbox.Shared.MessagesTo(to).Count);
    }

    [Theory]
    [InlineData("not an address")]
    [InlineData("")]
    [InlineData("a@b.test\r\nBcc: victim@example.test")]
    public async Task HostileRecipient_IsDropped_WithoutThrowing(string to)
    {
        await Mailer.SendPasswordChangedAsync(to, Cancel);
        await Mailer.SendPasswordChangedAsync("victim@example.test", Cancel);

        await TestMailbox.Shared.WaitForMessageAsync("victim@example.test", "password was changed");
        Assert.DoesNotContain(TestMailbox.Shared.MessagesTo("victim@example.test"), message => message.Bcc.Count > 0);
    }

    [Fact]
    public async Task ServiceName_FromTheSender_IsHtmlEncoded()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = new GatehouseApp(storage, new Dictionary<string, string?>
        {
            ["Gatehouse:Email:From"] = "\"Acme <b>&amp; Co\" <no-reply@acme.test>",
        });
        var to = NewAddress();

        await app.Services.GetRequiredService<IAccountMailer>().SendAccountDeletedAsync(to, Cancel);

        var message = await TestMailbox.Shared.WaitForMessageAsync(to);
        Assert.Contains("Acme <b>&amp; Co account", message.Subject);
        Assert.Contains("Acme &lt;b&gt;&amp;amp; Co account", message.HtmlBody);
        Assert.DoesNotContain("<b>", message.HtmlBody);
    }

    private static void AssertBothBodies(MimeMessage message, string phrase)
    {
        Assert.Contains(phrase, message.TextBody);
        Assert.Contains(phrase, message.HtmlBody);
        Assert.StartsWith("<!DOCTYPE html>", message.HtmlBody);
    }
}
