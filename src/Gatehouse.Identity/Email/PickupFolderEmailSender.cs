using System.Globalization;
using Gatehouse.Identity.Configuration;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Email;

/// <summary>
/// The embedded default: each message becomes an .eml file in a folder (open it with any mail client),
/// and a log line says where, so sign-up and password reset can be tried without an SMTP server.
/// </summary>
public sealed partial class PickupFolderEmailSender(IOptions<GatehouseOptions> options, TimeProvider time, ILogger<PickupFolderEmailSender> logger) : IEmailSender
{
    public string Folder { get; } = Path.GetFullPath(options.Value.Email.PickupDirectory);

    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(Folder);
        using var mime = MimeComposer.Compose(message, options.Value.Email.From);
        var name = string.Create(CultureInfo.InvariantCulture, $"{time.GetUtcNow():yyyyMMdd-HHmmss-fff}-{Guid.NewGuid():N}.eml");
        var path = Path.Combine(Folder, name);

        // Written under another name first, so a reader never opens half a message.
        var partial = Path.Combine(Folder, "." + name + ".partial");
        await mime.WriteToAsync(partial, cancellationToken);
        File.Move(partial, path);
        LogWritten(logger, message.Subject, path);
    }

    [LoggerMessage(EventId = 1410, Level = LogLevel.Information, Message = "Email \"{Subject}\" written to {Path} (no SMTP server is configured: set Gatehouse:Email:Smtp:Host to send mail)")]
    private static partial void LogWritten(ILogger logger, string subject, string path);
}
