using BenchmarkDotNet.Running;

namespace Gatehouse.Benchmarks;

// Not top-level statements: those would declare a global Program that clashes with the one the
// identity service exposes to its tests.
internal static class Program
{
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
