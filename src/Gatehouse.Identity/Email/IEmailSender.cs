namespace Gatehouse.Identity.Email;

/// <summary>One message with a plain-text and an HTML body.</summary>
public sealed record EmailMessage(string To, string Subject, string TextBody, string HtmlBody);

/// <summary>Delivers a message: over SMTP in production, to a pickup folder by default.</summary>
public interface IEmailSender
{
    Task SendAsync(EmailMessage message, CancellationToken cancellationToken = default);
}
