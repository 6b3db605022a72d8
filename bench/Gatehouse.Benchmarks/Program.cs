using BenchmarkDotNet.Running;

namespace Gatehouse.Benchmarks;

// Not top-level statements: those would declare a global Program that clashes with the one the
// identity service exposes to its tests.
internal static class Program
{
    private static int Main(string[] args)
    {
        // Load on a running service (bench/accounts/run.sh) rather than a micro-benchmark.
        if (args.Length > 0 && args[0] == "accounts-load")
        {
            return Accounts.AccountFlowLoad.RunAsync(args[1..]).GetAwaiter().GetResult();
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
