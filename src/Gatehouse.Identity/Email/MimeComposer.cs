using MimeKit;

namespace Gatehouse.Identity.Email;

/// <summary>Turns an <see cref="EmailMessage"/> into a MIME message with a plain-text and an HTML part.</summary>
internal static class MimeComposer
{
    public static MimeMessage Compose(EmailMessage message, string from)
    {
        var mime = new MimeMessage
        {
            Subject = message.Subject,
            Date = DateTimeOffset.UtcNow,
            Body = new BodyBuilder { TextBody = message.TextBody, HtmlBody = message.HtmlBody }.ToMessageBody(),
        };
        mime.From.Add(MailboxAddress.Parse(from));
        mime.To.Add(MailboxAddress.Parse(message.To));
        return mime;
    }

    /// <summary>Whether <paramref name="address"/> is one address MimeKit can put in a To header.</summary>
    public static bool IsDeliverable(string? address) =>
        !string.IsNullOrWhiteSpace(address)
        && MailboxAddress.TryParse(address, out var mailbox)
        && mailbox.Address.Contains('@')
        && mailbox.Address.Length <= 254;
}
