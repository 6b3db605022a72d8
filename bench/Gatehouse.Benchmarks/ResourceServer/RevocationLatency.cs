using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gatehouse.ResourceServer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Gatehouse.Benchmarks.ResourceServer;

/// <summary>
/// From revocation to rejection, across processes' worth of parts on real sockets: the identity
/// service (PostgreSQL + Redis), and two services using the kit, one reading the Redis feed and one
/// the HTTP long-poll feed. Each round gets a token, checks both services accept it, revokes it at the
/// identity service (the denylist path logout also takes) and polls both services until they refuse
/// it. Prints percentiles of the time from the revocation request being sent to each refusal.
/// </summary>
internal static class RevocationLatency
{
    private const string Client = "bench-service";
    private const string Secret = "bench-service-secret-000001";
    private const string FeedClient = "bench-feed";
    private const string FeedSecret = "bench-feed-secret-00000001";

    public static async Task<int> RunAsync(int rounds)
    {
        var admin = Environment.GetEnvironmentVariable("GATEHOUSE_BENCH_POSTGRES");
        var redis = Environment.GetEnvironmentVariable("GATEHOUSE_BENCH_REDIS");
        if (admin is null || redis is null)
        {
            Console.Error.WriteLine("Set GATEHOUSE_BENCH_POSTGRES (admin connection string) and GATEHOUSE_BENCH_REDIS (host:port).");
            return 2;
        }

        // The identity service's content root (appsettings), found from the repository root or below it.
        var directory = new DirectoryInfo(Environment.CurrentDirectory);
        while (directory is not null && !Directory.Exists(Path.Combine(directory.FullName, "src", "Gatehouse.Identity")))
        {
            directory = directory.Parent;
        }

        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_GATEHOUSE_IDENTITY",
            Path.Combine(directory?.FullName ?? throw new DirectoryNotFoundException("Run from inside the repository."), "src", "Gatehouse.Identity"));

        var database = "gh_latency_" + Guid.NewGuid().ToString("N")[..12];
        await ExecuteAsync(admin, $"CREATE DATABASE \"{database}\"");
        try
        {
            await using var identity = new IdentityNode(new NpgsqlConnectionStringBuilder(admin) { Database = database }.ConnectionString, redis);
            identity.UseKestrel(0);
            identity.StartServer();
            var authority = identity.ClientOptions.BaseAddress;

            await using var viaRedis = await StartServiceAsync(authority, o => o.Revocation.RedisConnection = redis);
            await using var viaHttp = await StartServiceAsync(authority, o =>
            {
                o.Revocation.ClientId = FeedClient;
                o.Revocation.ClientSecret = FeedSecret;
            });

            using var http = new HttpClient { BaseAddress = authority };
            var redisTimes = new List<double>();
            var httpTimes = new List<double>();
            for (var round = 0; round < rounds + 3; round++)
            {
                var token = await GetTokenAsync(http);
                if (!await AcceptsAsync(viaRedis.Client, token) || !await AcceptsAsync(viaHttp.Client, token))
                {
                    throw new InvalidOperationException("a service refused a fresh token");
                }

                var clock = Stopwatch.StartNew();
                var revoke = RevokeAsync(http, token);
                var times = await Task.WhenAll(UntilRefusedAsync(viaRedis.Client, token, clock), UntilRefusedAsync(viaHttp.Client, token, clock));
                await revoke;
                if (round >= 3)
                {
                    // The first rounds warm up connections and JIT.
                    redisTimes.Add(times[0]);
                    httpTimes.Add(times[1]);
                }
            }

            Console.WriteLine($"revocation -> rejection over {rounds} rounds (ms): p50 / p95 / max");
            Console.WriteLine($"  kit on the Redis feed:      {Describe(redisTimes)}");
            Console.WriteLine($"  kit on the HTTP long poll:  {Describe(httpTimes)}");
            return 0;
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        }
    }

    private static string Describe(List<double> times)
    {
        times.Sort();
        double At(double q) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(q * times.Count) - 1)];
        return $"{At(0.5):0.0} / {At(0.95):0.0} / {times[^1]:0.0}";
    }

    private static async Task<double> UntilRefusedAsync(HttpClient service, string token, Stopwatch clock)
    {
        while (await AcceptsAsync(service, token))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("a service still accepts the revoked token after 30 s");
            }
        }

        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task<bool> AcceptsAsync(HttpClient service, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await service.SendAsync(request);
        return response.StatusCode switch
        {
            HttpStatusCode.OK => true,
            HttpStatusCode.Unauthorized => false,
            var other => throw new InvalidOperationException($"unexpected {(int)other} from a service"),
        };
    }

    private static async Task<string> GetTokenAsync(HttpClient http)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("scope", "images.read")]),
        };
        request.Headers.Authorization = Basic();
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("access_token").GetString()!;
    }

    private static async Task RevokeAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/revoke") { Content = new FormUrlEncodedContent([new("token", token)]) };
        request.Headers.Authorization = Basic();
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    private static AuthenticationHeaderValue Basic() => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Client + ":" + Secret)));

    private static async Task<RunningService> StartServiceAsync(Uri authority, Action<GatehouseResourceServerOptions> feed)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Services.AddGatehouseResourceServer(o =>
        {
            o.Authority = authority;
            o.Audience = "images-api";
            o.RequireHttpsMetadata = false;
            feed(o);
        });
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/whoami", (HttpContext context) => context.User.FindFirst("sub")!.Value).RequireAuthorization();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunningService(app, new HttpClient { BaseAddress = new Uri(address) });
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private sealed record RunningService(WebApplication App, HttpClient Client) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await App.DisposeAsync();
        }
    }

    /// <summary>The identity service as it runs in production: PostgreSQL and Redis.</summary>
    private sealed class IdentityNode(string database, string redis) : WebApplicationFactory<global::Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            var settings = new Dictionary<string, string?>
            {
                ["Gatehouse:RequireHttps"] = "false",
                ["Logging:LogLevel:Default"] = "Warning",
                ["Gatehouse:Database:Provider"] = "PostgreSQL",
                ["ConnectionStrings:Gatehouse"] = database,
                ["ConnectionStrings:Redis"] = redis,
                ["Gatehouse:Scopes:images.read:Resources:0"] = "images-api",
                [$"Gatehouse:Clients:{Client}:Secret"] = Secret,
                [$"Gatehouse:Clients:{Client}:GrantTypes:0"] = "client_credentials",
                [$"Gatehouse:Clients:{Client}:Scopes:0"] = "images.read",
                [$"Gatehouse:Clients:{FeedClient}:Secret"] = FeedSecret,
                [$"Gatehouse:Clients:{FeedClient}:GrantTypes:0"] = "client_credentials",
                [$"Gatehouse:Clients:{FeedClient}:Scopes:0"] = "gatehouse:revocations",
            };
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        }
    }
}
