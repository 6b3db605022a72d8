using System.Collections.Concurrent;
using System.Net;
using System.Text.Encodings.Web;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Tests.Accounts;

/// <summary>
/// The authentication middleware stays off the account API, which checks its client and the user's
/// bearer token itself, and runs exactly once for every other request. A request-handler scheme added
/// for the test records every request the middleware shows it, as OpenIddict's handlers see them.
/// </summary>
public sealed class AccountApiAuthenticationTests : IAsyncLifetime
{
    private const string Password = "harbour-lichen-comet-5512";

    private TestStorage? _storage;
    private GatehouseApp? _baseNode;
    private WebApplicationFactory<Program>? _node;
    private readonly SeenRequests _seen = new();

    private WebApplicationFactory<Program> Node => _node ?? throw new InvalidOperationException("not initialized");

    public async ValueTask InitializeAsync()
    {
        _storage = await TestStorage.CreateAsync();
        _baseNode = new GatehouseApp(_storage);
        _node = _baseNode.WithWebHostBuilder(host => host.ConfigureTestServices(services =>
        {
            services.AddSingleton(_seen);
            services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, RecordingHandler>(RecordingHandler.Name, null);
        }));
        _ = _node.Server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        if (_baseNode is not null)
        {
            await _baseNode.DisposeAsync();
        }

        if (_storage is not null)
        {
            await _storage.DisposeAsync();
        }
    }

    [Fact]
    public async Task AccountApiCalls_DoNotGoThroughTheAuthenticationMiddleware()
    {
        var email = AccountApi.NewEmail();
        await AccountApi.CreateUserAsync(Node, email, Password);
        var api = new AccountApi(Node.CreateClient());

        var pair = await api.SignInAsync(email, Password);
        using var wrong = await api.PostAsync("/auth/sign-in", new { email, password = "wrong-" + Password });
        using var logout = await api.PostAsync("/auth/logout", bearer: pair.AccessToken);

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.True(logout.IsSuccessStatusCode, $"logout answered {(int)logout.StatusCode}");
        Assert.DoesNotContain(_seen.Paths, path => path.StartsWith("/auth", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OtherRequests_GoThroughItOnce()
    {
        using var http = Node.CreateClient();
        _seen.Clear();

        using var page = await http.GetAsync("/Account/SignIn", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(["/Account/SignIn"], _seen.Paths);
    }

    private sealed class SeenRequests
    {
        private readonly ConcurrentQueue<string> _paths = new();

        public IReadOnlyList<string> Paths => [.. _paths];

        public void Add(string path) => _paths.Enqueue(path);

        public void Clear() => _paths.Clear();
    }

    private sealed class RecordingHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, SeenRequests seen)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder), IAuthenticationRequestHandler
    {
        public const string Name = "recording";

        public Task<bool> HandleRequestAsync()
        {
            seen.Add(Request.Path.Value ?? "");
            return Task.FromResult(false);
        }

        protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());
    }
}
