using System.Diagnostics;
using System.Text.Json;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Extensions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Benchmarks.Accounts;

/// <summary>
/// Load on a running identity service (bench/accounts/run.sh starts one): the pure password-hash rate
/// of the hasher the service registers, sign-ins per second through <c>/auth/sign-in</c>, and
/// refresh-token rotations per second through <c>/auth/refresh-tokens</c>. The users are created in the
/// service's database through its own UserManager, so their hashes are what the service verifies.
/// </summary>
internal static class AccountFlowLoad
{
    private const string Password = "bench-passphrase-orchid-7731";

    /// <summary>Gatehouse:Accounts:Lockout:MaxFailedAttempts of the service as the script starts it (the default).</summary>
    private const int LockoutFreeFailures = 5;
    private static readonly System.Net.Http.Headers.MediaTypeHeaderValue JsonType = new("application/json");

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Parse(args);
        var url = new Uri(options["url"]);
        var seconds = int.Parse(options.GetValueOrDefault("seconds", "15"), System.Globalization.CultureInfo.InvariantCulture);
        var clientId = options["client-id"];
        var cpu = new CpuMeter(OptionalPid(options, "service-pid"), OptionalPid(options, "postgres-pid"), OptionalPid(options, "redis-pid"));
        var secret = options["client-secret"];

        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gatehouse:Database:Provider"] = "PostgreSQL",
            ["ConnectionStrings:Gatehouse"] = options["database"],
            ["Gatehouse:RequireHttps"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.AddGatehouseIdentity();
        await using var services = builder.Services.BuildServiceProvider();

        var cores = Environment.ProcessorCount;
        var emails = Enumerable.Range(0, 16).Select(i => $"bench-{i}@example.com").ToArray();
        string hash;
        await using (var scope = services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
            foreach (var email in emails)
            {
                if (await users.FindByEmailAsync(email) is null)
                {
                    var created = await users.CreateAsync(new GatehouseUser { UserName = email, Email = email, EmailConfirmed = true }, Password);
                    if (!created.Succeeded)
                    {
                        throw new InvalidOperationException(string.Join("; ", created.Errors.Select(e => e.Description)));
                    }
                }
            }

            hash = (await users.FindByEmailAsync(emails[0]))!.PasswordHash!;
            Console.WriteLine($"hasher: {users.PasswordHasher.GetType().FullName}; hash prefix: {hash[..Math.Min(hash.Length, 30)]}");
        }

        var hasher = services.GetRequiredService<IPasswordHasher<GatehouseUser>>();
        var user = new GatehouseUser();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = url };
        http.DefaultRequestHeaders.Add("X-Client-Id", clientId);
        http.DefaultRequestHeaders.Add("X-Client-Secret", secret);

        // Hash rate and sign-in rate alternate, round by round, so that whatever else the machine does
        // weighs on both alike; the ratio is taken over the sums. Sign-in keeps a few more requests in
        // flight than there are cores, so no core waits for the network.
        // Request bodies are made once, with a Content-Length as most clients send them: the driver
        // shares the service's two cores, so what it spends per request counts against the sign-in rate.
        // Sign-ins go out over plain kept-alive connections, one per request in flight, as whole requests made
        // once (see PlainHttpConnection); the other phases use HttpClient, whose cost matters less there.
        KeyValuePair<string, string>[] clientHeaders = [new("X-Client-Id", clientId), new("X-Client-Secret", secret)];
        var signInRequests = emails
            .Select(email => PlainHttpConnection.Post(url, "/auth/sign-in", clientHeaders, JsonSerializer.SerializeToUtf8Bytes(new { email, password = Password })))
            .ToArray();
        var rounds = int.Parse(options.GetValueOrDefault("rounds", "3"), System.Globalization.CultureInfo.InvariantCulture);
        var signInConcurrency = int.Parse(options.GetValueOrDefault("in-flight", (cores * 2).ToString(System.Globalization.CultureInfo.InvariantCulture)), System.Globalization.CultureInfo.InvariantCulture);
        var connections = new PlainHttpConnection[signInConcurrency];
        for (var i = 0; i < connections.Length; i++)
        {
            connections[i] = PlainHttpConnection.Open(url);
        }

        bool SignIn(int worker, int user) => connections[worker].Send(signInRequests[user % emails.Length]) == 200;
        var next = 0;
        // Warm-up, not measured: JIT tiering (in the service and in this driver), connection pools and
        // caches of the sign-in path, and the hasher. A few sequential requests would leave most of the
        // code at tier 0 and the first round's sign-ins paying for compilation; so both run under the
        // measured concurrency, and then the service is given time to finish compiling in the background,
        // which would otherwise take CPU from the first rounds (from the pure hash rate as much as from
        // sign-ins, since the service compiles while the driver hashes).
        Measure(1, cores, _ => Task.FromResult(hasher.VerifyHashedPassword(user, hash, Password) != PasswordVerificationResult.Failed));
        // Twice: methods that became hot during the first burst are promoted to optimized code only
        // after further calls, and a single burst left that compilation running into the first rounds.
        for (var burst = 1; burst <= 2; burst++)
        {
            MeasureOnThreads(seconds, signInConcurrency, index => SignIn(index, index));
            var settled = await cpu.WaitForQuietServiceAsync(TimeSpan.FromSeconds(30));
            Console.WriteLine($"warm-up {burst}: {seconds} s of sign-ins, then {settled.TotalSeconds:F0} s until the service was idle");
        }

        double hashTotal = 0, signInTotal = 0;
        double hashCpu = 0, signInCpu = 0, signInHashingCpu = 0;
        int hashesDone = 0, signInsDone = 0;
        var failures = 0;
        for (var round = 1; round <= rounds; round++)
        {
            var beforeHashes = cpu.Take();
            var hashRate = Measure(seconds, cores, _ =>
                Task.FromResult(hasher.VerifyHashedPassword(user, hash, Password) != PasswordVerificationResult.Failed));
            var beforeSignIns = cpu.Take();
            var signIns = MeasureOnThreads(seconds, signInConcurrency, index => SignIn(index, Interlocked.Increment(ref next)));
            var afterSignIns = cpu.Take();
            hashTotal += hashRate.PerSecond;
            signInTotal += signIns.PerSecond;
            failures += hashRate.Failures + signIns.Failures;
            Console.WriteLine($"round {round}: pure hash verification {hashRate.PerSecond:F1}/s on {cores} threads, " +
                $"sign-in {signIns.PerSecond:F1}/s with {signInConcurrency} in flight ({hashRate.Failures + signIns.Failures} failures)");
            Console.WriteLine($"  hashes: {cpu.Describe(beforeHashes, beforeSignIns, hashRate.Done)}");
            Console.WriteLine($"  sign-ins: {cpu.Describe(beforeSignIns, afterSignIns, signIns.Done)}");
            hashCpu += CpuMeter.Spent(beforeHashes, beforeSignIns, driverOnly: true) ?? 0;
            signInCpu += CpuMeter.Spent(beforeSignIns, afterSignIns) ?? 0;
            signInHashingCpu += afterSignIns.ServiceHashing - beforeSignIns.ServiceHashing;
            hashesDone += hashRate.Done;
            signInsDone += signIns.Done;
        }

        foreach (var connection in connections)
        {
            connection.Dispose();
        }

        Console.WriteLine($"pure hash verification: {hashTotal / rounds:F1}/s; sign-in: {signInTotal / rounds:F1}/s; sign-in / pure hash: {signInTotal / hashTotal:F3}");
        if (hashCpu > 0 && signInCpu > 0 && hashesDone > 0 && signInsDone > 0)
        {
            // The same comparison in CPU time, which the machine's other load cannot tilt by handing the
            // service's many threads a larger share of the cores than the driver's two hashing threads.
            var perHash = hashCpu * 1000 / hashesDone;
            var perSignIn = signInCpu * 1000 / signInsDone;
            Console.WriteLine($"CPU per pure hash verification: {perHash:F2} ms; per sign-in (service, PostgreSQL, Redis, driver): {perSignIn:F2} ms; " +
                $"hash / sign-in: {perHash / perSignIn:F3}");

            // The split that says where a gap comes from: the service's hashing threads (the hash itself, and
            // what sharing the cores with the rest of the flow costs it) against everything else of a sign-in.
            var perServiceHash = signInHashingCpu * 1000 / signInsDone;
            Console.WriteLine($"per sign-in: {perServiceHash:F2} ms on the service's hashing threads ({perServiceHash - perHash:+0.00;-0.00} ms against a pure hash), " +
                $"{perSignIn - perServiceHash:F2} ms everything else");
        }

        // No enumeration: an unknown email must cost as much as a wrong password (and a reset as much
        // for an unknown address as for a known one). Sequential requests, the two kinds alternating
        // after a warm-up, mean time of each. Sign-in takes no more wrong passwords per account than
        // stay below the lockout (a locked account answers without hashing), reset takes 100 of each.
        var signInSamples = emails.Length * (LockoutFreeFailures - 1) - 3;
        var (wrongPassword, unknownEmail) = await CompareAsync(http, "/auth/sign-in",
            i => new { email = emails[i % emails.Length], password = "wrong-" + Password },
            i => new { email = $"nobody-{i}@example.com", password = "wrong-" + Password },
            signInSamples);
        var (resetKnown, resetUnknown) = await CompareAsync(http, "/auth/reset-password",
            i => new { email = emails[i % emails.Length] },
            i => new { email = $"nobody-{i}@example.com" });
        Console.WriteLine($"mean time, sign-in ({signInSamples} of each): wrong password {wrongPassword:F1} ms, unknown email {unknownEmail:F1} ms; " +
            $"reset (100 of each): known email {resetKnown:F1} ms, unknown email {resetUnknown:F1} ms");

        var sessions = int.Parse(options.GetValueOrDefault("sessions", "32"), System.Globalization.CultureInfo.InvariantCulture);
        var chains = new string[sessions];
        for (var i = 0; i < sessions; i++)
        {
            using var response = await PostAsync(http, "/auth/sign-in", new { email = emails[i % emails.Length], password = Password });
            chains[i] = await RefreshTokenOf(response);
        }

        var beforeRotations = cpu.Take();
        var rotations = Measure(seconds, sessions, async index =>
        {
            using var response = await PostAsync(http, "/auth/refresh-tokens", new { refresh_token = chains[index] });
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }

            chains[index] = await RefreshTokenOf(response);
            return true;
        });
        Console.WriteLine($"refresh rotations: {rotations.PerSecond:F1}/s with {sessions} sessions in flight ({rotations.Failures} failures)");
        Console.WriteLine($"  rotations: {cpu.Describe(beforeRotations, cpu.Take(), rotations.Done)}");
        return rotations.Failures + failures == 0 ? 0 : 1;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string path, object body) =>
        PostAsync(http, path, JsonSerializer.SerializeToUtf8Bytes(body));

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string path, byte[] json)
    {
        var content = new ByteArrayContent(json);
        content.Headers.ContentType = JsonType;
        return http.PostAsync(path, content);
    }

    private sealed record Rate(double PerSecond, int Done, int Failures);

    /// <summary>Each worker repeats the operation (given the worker's index) until time is up.</summary>
    private static Rate Measure(int seconds, int workerCount, Func<int, Task<bool>> operation)
    {
        var done = 0;
        var failures = 0;
        var stop = Stopwatch.StartNew();
        var until = TimeSpan.FromSeconds(seconds);
        var workers = Enumerable.Range(0, workerCount).Select(index => Task.Run(async () =>
        {
            while (stop.Elapsed < until)
            {
                if (await operation(index))
                {
                    Interlocked.Increment(ref done);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToArray();
        Task.WaitAll(workers);
        return new Rate(done / stop.Elapsed.TotalSeconds, done, failures);
    }

    /// <summary>As <see cref="Measure"/>, for a blocking operation: each worker is a thread of its own.</summary>
    private static Rate MeasureOnThreads(int seconds, int workerCount, Func<int, bool> operation)
    {
        var done = 0;
        var failures = 0;
        var stop = Stopwatch.StartNew();
        var until = TimeSpan.FromSeconds(seconds);
        var workers = Enumerable.Range(0, workerCount).Select(index => new Thread(() =>
        {
            while (stop.Elapsed < until)
            {
                if (operation(index))
                {
                    Interlocked.Increment(ref done);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        return new Rate(done / stop.Elapsed.TotalSeconds, done, failures);
    }

    private static async Task<(double First, double Second)> CompareAsync(HttpClient http, string path, Func<int, object> first, Func<int, object> second, int count = 100)
    {
        for (var i = 0; i < 3; i++)
        {
            using var warmFirst = await PostAsync(http, path, first(count + i));
            using var warmSecond = await PostAsync(http, path, second(count + i));
        }

        var times = new double[2];
        for (var i = 0; i < count; i++)
        {
            var watch = Stopwatch.StartNew();
            using (await PostAsync(http, path, first(i)))
            {
                times[0] += watch.Elapsed.TotalMilliseconds;
            }

            watch.Restart();
            using (await PostAsync(http, path, second(i)))
            {
                times[1] += watch.Elapsed.TotalMilliseconds;
            }
        }

        return (times[0] / count, times[1] / count);
    }

    private static async Task<string> RefreshTokenOf(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode}: {body}");
        }

        return JsonDocument.Parse(body).RootElement.GetProperty("refresh_token").GetString()!;
    }

    private static int? OptionalPid(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) && int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var pid) ? pid : null;

    private static Dictionary<string, string> Parse(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }

        return options;
    }
}
