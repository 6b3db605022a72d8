using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Gatehouse.Identity.Codes;
using Gatehouse.Identity.Configuration;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Gatehouse.Identity.Email;

/// <summary>
/// Writes the account messages in plain text and HTML and hands them to the <see cref="EmailOutbox"/>.
/// The methods return as soon as the message is queued; delivery problems are logged, never thrown.
/// </summary>
public sealed class AccountMailer(EmailOutbox outbox, IOptions<GatehouseOptions> options, TimeProvider time) : IAccountMailer
{
    /// <summary>The name messages speak in: the display name of the From address.</summary>
    private string ServiceName => MailboxAddress.TryParse(options.Value.Email.From, out var from) && !string.IsNullOrWhiteSpace(from.Name)
        ? from.Name
        : "Gatehouse";

    public Task SendCodeAsync(string to, VerificationPurpose purpose, IssuedCode code, CancellationToken cancellationToken = default)
    {
        var validity = $"It expires in {MinutesLeft(code)} and works once.";
        var (subject, intro) = purpose switch
        {
            VerificationPurpose.ConfirmEmail => ($"Your {ServiceName} confirmation code", "Use this code to confirm your email address:"),
            VerificationPurpose.ResetPassword => ($"Your {ServiceName} password reset code", "Use this code to choose a new password:"),
            VerificationPurpose.ChangeEmail => ($"Your {ServiceName} email change code", $"Use this code to make this address the email address of your {ServiceName} account:"),
            _ => throw new ArgumentOutOfRangeException(nameof(purpose), purpose, "No message is written for this purpose."),
        };

        return Queue(to, subject,
            new Paragraph(intro),
            new Paragraph(code.Code, IsCode: true),
            new Paragraph(validity),
            new Paragraph("If you did not ask for it, ignore this message; nothing changes without the code."));
    }

    public Task SendSignUpAttemptAsync(string to, CancellationToken cancellationToken = default) =>
        Queue(to, $"Someone tried to sign up to {ServiceName} with your address",
            new Paragraph($"Someone tried to create a {ServiceName} account with this email address, which already has one."),
            new Paragraph("If it was you, sign in instead, or reset your password if you have forgotten it."),
            new Paragraph("If it was not you, ignore this message: your account is unchanged."));

    public Task SendEmailChangeAttemptAsync(string to, CancellationToken cancellationToken = default) =>
        Queue(to, $"Someone tried to move a {ServiceName} account to your address",
            new Paragraph($"Someone signed in to a {ServiceName} account asked to change its email address to this one, which already belongs to an account."),
            new Paragraph("Nothing changed, and no code was sent. Your account is unchanged."),
            new Paragraph("If it was you, use a different address for the other account, or delete one of the two accounts first."));

    public Task SendEmailChangedAsync(string to, string newAddress, CancellationToken cancellationToken = default) =>
        Queue(to, $"Your {ServiceName} email address was changed",
            new Paragraph($"The email address of your {ServiceName} account was changed to {Masked(newAddress)}, and every session was signed out. Messages about the account, password reset codes included, now go to the new address."),
            new Paragraph("If this was not you, someone knows your password: contact the administrator of this service at once to take the account back."));

    /// <summary>"nora@example.com" becomes "n***@example.com": enough to recognise, not enough to learn the address.</summary>
    public static string Masked(string address)
    {
        var at = address.LastIndexOf('@');
        var local = at > 0 ? address[..at] : address;
        var first = Rune.DecodeFromUtf16(local, out var rune, out _) == System.Buffers.OperationStatus.Done ? rune.ToString() : "";
        return first + "***" + (at > 0 ? address[at..] : "");
    }

    public Task SendPasswordChangedAsync(string to, CancellationToken cancellationToken = default) =>
        Queue(to, $"Your {ServiceName} password was changed",
            new Paragraph($"The password of your {ServiceName} account was just changed, and every other session was signed out."),
            new Paragraph("If you did not do this, reset your password now to take the account back."));

    public Task SendAccountCreatedAsync(string to, IssuedCode code, Uri setPasswordPage, CancellationToken cancellationToken = default)
    {
        return Queue(to, $"Your {ServiceName} account is ready: choose a password",
            new Paragraph($"An administrator opened a {ServiceName} account for this email address. To use it, choose a password at:"),
            new Paragraph(setPasswordPage.AbsoluteUri),
            new Paragraph("and enter this code there:"),
            new Paragraph(code.Code, IsCode: true),
            new Paragraph($"The code expires in {MinutesLeft(code)}; the page sends a new one if it has. Later, \"Forgot password\" on the sign-in page works as well."));
    }

    private string MinutesLeft(IssuedCode code)
    {
        var minutes = Math.Max(1, (int)Math.Ceiling((code.ExpiresAt - time.GetUtcNow()).TotalMinutes));
        return string.Create(CultureInfo.InvariantCulture, $"{minutes} minute{(minutes == 1 ? "" : "s")}");
    }

    public Task SendAccountDeletedAsync(string to, CancellationToken cancellationToken = default) =>
        Queue(to, $"Your {ServiceName} account was deleted",
            new Paragraph($"Your {ServiceName} account and the data it held were deleted."),
            new Paragraph("This is the last message you will receive from us."));

    private Task Queue(string to, string subject, params Paragraph[] paragraphs)
    {
        outbox.Enqueue(new EmailMessage(to, subject, Text(paragraphs), Html(subject, paragraphs)));
        return Task.CompletedTask;
    }

    private static string Text(Paragraph[] paragraphs) =>
        string.Join("\n\n", paragraphs.Select(paragraph => paragraph.IsCode ? "    " + paragraph.Text : paragraph.Text)) + "\n";

    private static string Html(string subject, Paragraph[] paragraphs)
    {
        var encoder = HtmlEncoder.Default;
        var html = new StringBuilder()
            .Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>").Append(encoder.Encode(subject)).Append("</title></head>")
            .Append("<body style=\"font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;line-height:1.5;max-width:32rem;margin:0 auto;padding:1.5rem\">");
        foreach (var paragraph in paragraphs)
        {
            html.Append(paragraph.IsCode
                ? "<p style=\"font-size:2rem;font-weight:600;letter-spacing:0.3rem;font-family:ui-monospace,monospace;margin:1.5rem 0\">"
                : "<p>")
                .Append(encoder.Encode(paragraph.Text))
                .Append("</p>");
        }

        return html.Append("</body></html>").ToString();
    }

    private sealed record Paragraph(string Text, bool IsCode = false);
}
