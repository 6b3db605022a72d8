using BenchmarkDotNet.Running;
using Gatehouse.Benchmarks.ResourceServer;

namespace Gatehouse.Benchmarks;

// Not top-level statements: those would declare a global Program that clashes with the one the
// identity service exposes to its tests.
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        // Load on a running service (bench/accounts/run.sh) rather than a micro-benchmark.
        if (args.Length > 0 && args[0] == "accounts-load")
        {
            return await Accounts.AccountFlowLoad.RunAsync(args[1..]);
        }

        if (args is ["revocation-latency", ..])
        {
            return await RevocationLatency.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
