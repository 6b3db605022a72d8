using System.Diagnostics;

namespace Gatehouse.Identity.Tests.Infrastructure;

/// <summary>The identity service started as its own process, for what only a real start-up shows.</summary>
public static class ServiceProcess
{
    /// <summary>Starts the service with <paramref name="environment"/> and waits (at most a minute) for it to exit.</summary>
    public static async Task<(int ExitCode, string StandardError)> RunUntilExitAsync(IReadOnlyDictionary<string, string> environment)
    {
        var startInfo = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Gatehouse.Identity.dll")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        startInfo.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        using var process = Process.Start(startInfo)!;
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stderr);
    }
}
