using MimeKit;

namespace Gatehouse.Identity.Configuration;

/// <summary>
/// The <c>Gatehouse:Email</c> section. Without <c>Smtp:Host</c>, messages are written to
/// <see cref="PickupDirectory"/> as .eml files, so nothing is needed to try the service.
/// </summary>
public sealed class EmailOptions
{
    /// <summary>The sender, e.g. <c>Gatehouse &lt;no-reply@example.com&gt;</c>.</summary>
    public string From { get; set; } = "Gatehouse <no-reply@localhost>";

    /// <summary>Where messages go when no SMTP server is configured.</summary>
    public string PickupDirectory { get; set; } = "data/mail";

    public SmtpOptions Smtp { get; set; } = new();

    /// <summary>How many times a message is tried before it is given up (and logged).</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Wait before the first retry; each further retry waits twice as long.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Messages waiting to be sent; beyond this, new ones are dropped with a warning.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    internal bool UsesSmtp => !string.IsNullOrWhiteSpace(Smtp.Host);

    internal void Check(string key, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(From) || !MailboxAddress.TryParse(From, out var from) || !from.Address.Contains('@'))
        {
            problems.Add($"{key}:From is '{From}', which is not an email address such as 'Gatehouse <no-reply@example.com>'.");
        }

        if (!UsesSmtp && string.IsNullOrWhiteSpace(PickupDirectory))
        {
            problems.Add($"{key}:PickupDirectory is empty; name a folder, or set {key}:Smtp:Host to send through SMTP.");
        }

        if (MaxAttempts is < 1 or > 20)
        {
            problems.Add($"{key}:MaxAttempts is {MaxAttempts}; use a value between 1 and 20.");
        }

        if (RetryDelay < TimeSpan.FromMilliseconds(10) || RetryDelay > TimeSpan.FromMinutes(10))
        {
            problems.Add($"{key}:RetryDelay is {RetryDelay}; use a value between 00:00:00.010 and 00:10:00.");
        }

        if (QueueCapacity is < 1 or > 1_000_000)
        {
            problems.Add($"{key}:QueueCapacity is {QueueCapacity}; use a value between 1 and 1000000.");
        }

        if (UsesSmtp)
        {
            Smtp.Check(key + ":Smtp", problems);
        }
    }
}

public sealed class SmtpOptions
{
    /// <summary>The SMTP server; unset means the pickup folder is used instead.</summary>
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    /// <summary>
    /// <c>StartTls</c> (default: upgrade after connecting, required), <c>SslOnConnect</c> (implicit TLS,
    /// usually port 465), <c>StartTlsWhenAvailable</c>, or <c>None</c> (only for a relay on the same host).
    /// </summary>
    public string Security { get; set; } = SmtpSecurity.StartTls;

    public string? UserName { get; set; }

    public string? Password { get; set; }

    /// <summary>How long to wait for the server on each step.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    internal void Check(string key, List<string> problems)
    {
        if (Uri.CheckHostName(Host) == UriHostNameType.Unknown)
        {
            problems.Add($"{key}:Host is '{Host}', which is not a host name or IP address.");
        }

        if (Port is < 1 or > 65535)
        {
            problems.Add($"{key}:Port is {Port}; use a TCP port between 1 and 65535.");
        }

        if (!SmtpSecurity.All.Contains(Security))
        {
            problems.Add($"{key}:Security is '{Security}'; use one of {string.Join(", ", SmtpSecurity.All)}.");
        }

        if (string.IsNullOrEmpty(UserName) != string.IsNullOrEmpty(Password))
        {
            problems.Add($"{key}:UserName and {key}:Password go together; set both or neither.");
        }

        if (Timeout < TimeSpan.FromSeconds(1) || Timeout > TimeSpan.FromMinutes(5))
        {
            problems.Add($"{key}:Timeout is {Timeout}; use a value between 00:00:01 and 00:05:00.");
        }
    }
}

public static class SmtpSecurity
{
    public const string None = "None";
    public const string StartTls = "StartTls";
    public const string StartTlsWhenAvailable = "StartTlsWhenAvailable";
    public const string SslOnConnect = "SslOnConnect";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { None, StartTls, StartTlsWhenAvailable, SslOnConnect };
}
