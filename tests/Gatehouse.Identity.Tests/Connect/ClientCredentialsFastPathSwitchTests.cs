using System.Collections.Concurrent;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Gatehouse.Identity.Tests.Connect;

/// <summary>The fast path never skips an OpenIddict handler it does not know: it switches itself off.</summary>
public sealed class ClientCredentialsFastPathSwitchTests
{
    [Fact]
    public async Task UnknownTokenRequestHandler_SwitchesTheFastPathOffWithAWarning_AndTheHandlerRuns()
    {
        await using var storage = await TestStorage.CreateAsync();
        var logs = new CollectedLogs();
        await using var baseNode = new GatehouseApp(storage);
        await using var node = baseNode.WithWebHostBuilder(host => host.ConfigureTestServices(services =>
        {
            services.AddSingleton<ILoggerProvider>(logs);
            services.AddOpenIddict().AddServer(server => server.AddEventHandler<ApplyTokenResponseContext>(handler =>
                handler.UseInlineHandler(context =>
                {
                    context.Response["x_handled_by"] = "custom handler";
                    return default;
                })));
        }));
        _ = node.Server;

        var state = node.Services.GetRequiredService<ClientCredentialsFastPathState>();
        Assert.False(state.IsActive);
        Assert.Contains(state.Reasons, reason => reason.Contains(nameof(ApplyTokenResponseContext)));
        Assert.Contains(logs.Entries, entry => entry.Level == LogLevel.Warning && entry.EventId == 1202);

        using var grants = new GrantCounter(node.Services);
        var http = node.CreateClient();
        for (var request = 0; request < 2; request++)
        {
            using var response = await http.RequestClientCredentialsAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
            Assert.Equal("custom handler", (await response.ReadJsonAsync()).GetProperty("x_handled_by").GetString());
        }

        Assert.Equal(0, grants.Fast);
    }

    [Fact]
    public async Task HandlersOfOtherEndpoints_LeaveTheFastPathOn()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var baseNode = new GatehouseApp(storage);
        await using var node = baseNode.WithWebHostBuilder(host => host.ConfigureTestServices(services =>
            services.AddOpenIddict().AddServer(server => server.AddEventHandler<HandleIntrospectionRequestContext>(handler =>
                handler.UseInlineHandler(_ => default)))));

        Assert.True(node.Services.GetRequiredService<ClientCredentialsFastPathState>().IsActive);
    }

    private sealed class CollectedLogs : ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, int EventId, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Collector(this);

        public void Dispose()
        {
        }

        private sealed class Collector(CollectedLogs logs) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Entries.Enqueue((logLevel, eventId.Id, formatter(state, exception)));
        }
    }
}
