using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using MimeKit;

namespace Gatehouse.Identity.Tests.Infrastructure;

/// <summary>
/// A real SMTP server on loopback (tests/smtp-mailbox, node's smtp-server) that stores every message it
/// accepts. <see cref="Shared"/> is started once per test process and is where every
/// <see cref="GatehouseApp"/> delivers by default; <see cref="StartAsync"/> starts a private one.
/// </summary>
public sealed partial class TestMailbox : IAsyncDisposable
{
    private static readonly Lazy<TestMailbox> SharedMailbox = new(() => StartAsync().GetAwaiter().GetResult());

    private readonly Process _process;
    private readonly ConcurrentDictionary<string, MimeMessage> _parsed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _taken = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _errors = new();

    private TestMailbox(Process process, int port, string folder)
    {
        _process = process;
        Port = port;
        Folder = folder;
    }

    /// <summary>The mailbox every test node sends to unless told otherwise.</summary>
    public static TestMailbox Shared => SharedMailbox.Value;

    public int Port { get; }

    /// <summary>Where received messages are written, one .eml file each.</summary>
    public string Folder { get; }

    /// <summary>The settings that make a node deliver here.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Settings(string? userName = null, string? password = null)
    {
        yield return new("Gatehouse:Email:Smtp:Host", "127.0.0.1");
        yield return new("Gatehouse:Email:Smtp:Port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return new("Gatehouse:Email:Smtp:Security", "None");
        yield return new("Gatehouse:Email:Smtp:UserName", userName);
        yield return new("Gatehouse:Email:Smtp:Password", password);
        yield return new("Gatehouse:Email:From", "Gatehouse Tests <no-reply@gatehouse.test>");
    }

    /// <summary>
    /// Starts a mailbox of its own. <paramref name="userName"/> and <paramref name="password"/> make it
    /// require authentication; <paramref name="failFirst"/> answers that many messages with a temporary failure.
    /// </summary>
    public static async Task<TestMailbox> StartAsync(string? userName = null, string? password = null, int failFirst = 0)
    {
        var script = Path.Combine(FindScriptFolder(), "server.mjs");
        var folder = Path.Combine(Path.GetTempPath(), "gatehouse-mailbox", Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { script, "--port", "0", "--dir", folder, "--fail-first", failFirst.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        if (userName is not null)
        {
            foreach (var argument in new[] { "--user", userName, "--pass", password ?? "" })
            {
                start.ArgumentList.Add(argument);
            }
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
        {
            var error = await process.StandardError.ReadToEndAsync(timeout.Token);
            throw new InvalidOperationException($"The test SMTP server did not start (did test.sh run 'npm ci' in tests/smtp-mailbox?): {line} {error}");
        }

        var mailbox = new TestMailbox(process, int.Parse(line["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture), folder);
        // Keep both pipes drained: a full pipe would stall the server; its complaints explain a timeout.
        _ = process.StandardOutput.ReadToEndAsync();
        _ = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } error)
            {
                mailbox._errors.Enqueue(error);
            }
        });
        // The server stops when its standard input closes; this closes it when the test process ends.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => mailbox.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return mailbox;
    }

    /// <summary>Every message received so far for <paramref name="to"/>, oldest first.</summary>
    public IReadOnlyList<MimeMessage> MessagesTo(string to) =>
        ReadAll().Where(entry => IsFor(entry.Message, to)).Select(entry => entry.Message).ToList();

    /// <summary>
    /// Waits for the oldest message to <paramref name="to"/> (whose subject contains
    /// <paramref name="subjectContains"/>, if given) that no earlier call returned, and returns it.
    /// </summary>
    public async Task<MimeMessage> WaitForMessageAsync(string to, string? subjectContains = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            foreach (var (name, message) in ReadAll())
            {
                if (IsFor(message, to)
                    && (subjectContains is null || (message.Subject ?? "").Contains(subjectContains, StringComparison.OrdinalIgnoreCase))
                    && _taken.TryAdd(name, 0))
                {
                    return message;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                var state = _process.HasExited ? $" The SMTP server exited with {_process.ExitCode}." : "";
                var errors = _errors.IsEmpty ? "" : " It said: " + string.Join(" | ", _errors.TakeLast(5));
                throw new TimeoutException($"No message to {to}{(subjectContains is null ? "" : $" about '{subjectContains}'")} arrived within {timeout ?? TimeSpan.FromSeconds(30)}.{state}{errors}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The one-time code in a message's plain-text body.</summary>
    public static string ReadCode(MimeMessage message)
    {
        var match = Code().Match(message.TextBody ?? "");
        return match.Success ? match.Groups[1].Value : throw new InvalidOperationException($"No code in message '{message.Subject}': {message.TextBody}");
    }

    private IEnumerable<(string Name, MimeMessage Message)> ReadAll()
    {
        if (!Directory.Exists(Folder))
        {
            yield break;
        }

        foreach (var path in Directory.GetFiles(Folder, "*.eml").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            yield return (name, _parsed.GetOrAdd(name, _ => MimeMessage.Load(path)));
        }
    }

    private static bool IsFor(MimeMessage message, string to) =>
        message.To.Mailboxes.Any(mailbox => string.Equals(mailbox.Address, to, StringComparison.OrdinalIgnoreCase));

    private static string FindScriptFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "tests", "smtp-mailbox");
            if (File.Exists(Path.Combine(candidate, "server.mjs")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("tests/smtp-mailbox/server.mjs not found above " + AppContext.BaseDirectory);
    }

    private void Stop()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(TimeSpan.FromSeconds(5)))
                {
                    _process.Kill();
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        _process.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return ValueTask.CompletedTask;
    }

    [GeneratedRegex(@"(?m)^\s*([0-9]{6,10})\s*$")]
    private static partial Regex Code();
}
