using System.Diagnostics;
using System.Globalization;

namespace Gatehouse.Benchmarks.Accounts;

/// <summary>
/// CPU time spent during a measurement, per party, from Linux's <c>/proc</c>: the service's process,
/// PostgreSQL (the postmaster, its live backends and the children it has reaped), Redis, this driver,
/// and the whole machine (busy and idle). Lets a run say where each request's CPU went, and whether
/// the cores were saturated at all. Parties without a process id are left out; off Linux nothing is read.
/// </summary>
internal sealed class CpuMeter(int? servicePid, int? postgresPid, int? redisPid)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ; 100 on every Linux this runs on

    /// <summary>
    /// One reading. <c>ServiceFaults</c> and <c>DriverFaults</c> are minor page faults so far (each one a fresh
    /// page the kernel maps and zeroes, as when a hash's working memory is allocated anew).
    /// </summary>
    /// <c>ServiceHashing</c> is the CPU of the service's password-hashing threads (from their scheduler statistics, in
    /// nanoseconds), so a run can tell the hash's own cost in the service from the rest of the request;
    /// <c>ServiceSwitches</c> counts the service threads' context switches, voluntary and involuntary.
    /// </summary>
    public sealed record Sample(double Service, double Postgres, double Redis, double Driver, double MachineBusy, double MachineIdle,
        long ServiceFaults, long DriverFaults, double ServiceHashing, long ServiceSwitches);

    public Sample Take()
    {
        var (hashing, switches) = ServiceThreads();
        return new(
        Seconds(servicePid, withChildren: false),
        PostgresSeconds(),
        Seconds(redisPid, withChildren: false),
        Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds,
        MachineSeconds(busy: true),
        MachineSeconds(busy: false),
        servicePid is { } service && Stat(service) is { } stat ? stat.MinorFaults : 0,
        Stat(Environment.ProcessId)?.MinorFaults ?? 0,
        hashing,
        switches);
    }

    /// <summary>The password-hashing threads' CPU seconds, and context switches of all the service's threads.</summary>
    private (double Hashing, long Switches) ServiceThreads()
    {
        if (servicePid is not { } pid || !OperatingSystem.IsLinux())
        {
            return (0, 0);
        }

        double hashing = 0;
        long switches = 0;
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(task, "comm")).StartsWith("password-hashin", StringComparison.Ordinal))
                    {
                        // schedstat: time on CPU (ns), time waiting to run (ns), timeslices
                        hashing += long.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture) / 1e9;
                    }

                    foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                    {
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)
                            || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                        {
                            switches += long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture);
                        }
                    }
                }
                catch (IOException)
                {
                    // the thread ended between listing and reading
                }
            }
        }
        catch (IOException)
        {
            return (0, 0);
        }

        return (hashing, switches);
    }

    /// <summary>
    /// Waits until the idle service spends under 5% of one core for two seconds running (after a burst of new
    /// work its runtime keeps compiling hot methods in the background for several seconds), or until
    /// <paramref name="limit"/>; returns how long that took. Without a service process id there is nothing to wait for.
    /// </summary>
    public async Task<TimeSpan> WaitForQuietServiceAsync(TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        if (servicePid is null || !OperatingSystem.IsLinux())
        {
            return TimeSpan.Zero;
        }

        var before = Seconds(servicePid, withChildren: false);
        var quiet = 0;
        while (clock.Elapsed < limit && quiet < 2)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var after = Seconds(servicePid, withChildren: false);
            quiet = after - before < 0.05 ? quiet + 1 : 0;
            before = after;
        }

        return clock.Elapsed;
    }

    /// <summary>
    /// CPU seconds between two samples spent on the operation: by the service, PostgreSQL, Redis and this
    /// driver, or by this driver alone (the pure hash rate, which involves nothing else). Null off Linux.
    /// </summary>
    public static double? Spent(Sample before, Sample after, bool driverOnly = false) => !OperatingSystem.IsLinux() ? null
        : driverOnly ? after.Driver - before.Driver
        : (after.Service - before.Service) + (after.Postgres - before.Postgres) + (after.Redis - before.Redis) + (after.Driver - before.Driver);

    /// <summary>CPU milliseconds per operation of each party between two samples.</summary>
    public string Describe(Sample before, Sample after, int operations)
    {
        if (operations == 0 || !OperatingSystem.IsLinux())
        {
            return "no CPU figures";
        }

        string Per(double seconds) => (seconds * 1000 / operations).ToString("F2", CultureInfo.InvariantCulture);
        var parts = new List<string>();
        if (servicePid is not null)
        {
            parts.Add($"service {Per(after.Service - before.Service)} (hashing threads {Per(after.ServiceHashing - before.ServiceHashing)})");
        }

        if (postgresPid is not null)
        {
            parts.Add($"PostgreSQL {Per(after.Postgres - before.Postgres)}");
        }

        if (redisPid is not null)
        {
            parts.Add($"Redis {Per(after.Redis - before.Redis)}");
        }

        parts.Add($"driver {Per(after.Driver - before.Driver)}");
        parts.Add($"whole machine {Per(after.MachineBusy - before.MachineBusy)}");
        var busy = after.MachineBusy - before.MachineBusy;
        var idle = after.MachineIdle - before.MachineIdle;
        var share = busy + idle > 0 ? busy / (busy + idle) : 0;
        var faults = servicePid is null ? "" : $"service {(after.ServiceFaults - before.ServiceFaults) / operations:N0}, ";
        var switches = servicePid is null ? "" : $"; service context switches per operation {(double)(after.ServiceSwitches - before.ServiceSwitches) / operations:N1}";
        return $"CPU ms per operation: {string.Join(", ", parts)}; cores busy {share:P0}{switches}; "
               + $"minor page faults per operation: {faults}driver {(after.DriverFaults - before.DriverFaults) / operations:N0}";
    }

    private double PostgresSeconds()
    {
        if (postgresPid is not { } postmaster || !OperatingSystem.IsLinux())
        {
            return 0;
        }

        var total = Seconds(postmaster, withChildren: true);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && pid != postmaster && Stat(pid) is { } stat && stat.ParentPid == postmaster)
            {
                total += stat.Seconds;
            }
        }

        return total;
    }

    private static double Seconds(int? pid, bool withChildren) =>
        pid is { } id && Stat(id) is { } stat ? stat.Seconds + (withChildren ? stat.ChildSeconds : 0) : 0;

    private sealed record ProcessStat(int ParentPid, double Seconds, double ChildSeconds, long MinorFaults);

    private static ProcessStat? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name is in parentheses and may hold spaces; the fields after it are plain numbers.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
        return new ProcessStat((int)Field(4), (Field(14) + Field(15)) / TicksPerSecond, (Field(16) + Field(17)) / TicksPerSecond, Field(10));
    }

    private static double MachineSeconds(bool busy)
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        // cpu  user nice system idle iowait irq softirq steal ...
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(field => long.Parse(field, CultureInfo.InvariantCulture)).ToArray();
        var idle = fields[3] + fields[4];
        var all = fields.Take(8).Sum();
        return (busy ? all - idle : idle) / TicksPerSecond;
    }
}
