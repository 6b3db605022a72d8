using System.Net;
using System.Security.Claims;
using System.Text.Json;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tests.Infrastructure;
using Gatehouse.ResourceServer.Tests.Infrastructure;
using Gatehouse.Samples.UserInfo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Gatehouse.ResourceServer.Tests.Samples;

/// <summary>
/// The user-info sample next to the real identity service: profiles arrive through the user feed,
/// are served by user id, and the email only to callers with the scope for it.
/// </summary>
public sealed class UserInfoServiceTests : IAsyncLifetime
{
    private const string ServiceClient = "userinfo-service";
    private const string ServiceSecret = "userinfo-service-secret-00001";
    private const string Reader = "profile-reader";
    private const string ReaderSecret = "profile-reader-secret-000001";
    private const string EmailReader = "profile-email-reader";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "gatehouse-userinfo-" + Guid.NewGuid().ToString("N"));
    private IdentityNode _identity = null!;
    private WebApplication _service = null!;
    private HttpClient _http = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _identity = await IdentityNode.StartAsync(new Dictionary<string, string?>
        {
            ["Gatehouse:Scopes:profiles.read:Resources:0"] = "userinfo-api",
            ["Gatehouse:Scopes:profiles.email:Resources:0"] = "userinfo-api",
            [$"Gatehouse:Clients:{ServiceClient}:Secret"] = ServiceSecret,
            [$"Gatehouse:Clients:{ServiceClient}:GrantTypes:0"] = "client_credentials",
            [$"Gatehouse:Clients:{ServiceClient}:Scopes:0"] = "gatehouse:events",
            [$"Gatehouse:Clients:{ServiceClient}:Scopes:1"] = "gatehouse:revocations",
            [$"Gatehouse:Clients:{Reader}:Secret"] = ReaderSecret,
            [$"Gatehouse:Clients:{Reader}:GrantTypes:0"] = "client_credentials",
            [$"Gatehouse:Clients:{Reader}:Scopes:0"] = "profiles.read",
            [$"Gatehouse:Clients:{EmailReader}:Secret"] = ReaderSecret,
            [$"Gatehouse:Clients:{EmailReader}:GrantTypes:0"] = "client_credentials",
            [$"Gatehouse:Clients:{EmailReader}:Scopes:0"] = "profiles.read",
            [$"Gatehouse:Clients:{EmailReader}:Scopes:1"] = "profiles.email",
        });

        Directory.CreateDirectory(_folder);
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gatehouse:ResourceServer:Authority"] = _identity.Authority.ToString(),
            ["Gatehouse:ResourceServer:Audience"] = "userinfo-api",
            ["Gatehouse:ResourceServer:RequireHttpsMetadata"] = "false",
            ["UserInfo:ClientId"] = ServiceClient,
            ["UserInfo:ClientSecret"] = ServiceSecret,
            ["ConnectionStrings:UserInfo"] = $"Data Source={Path.Combine(_folder, "userinfo.db")}",
        });
        builder.AddUserInfoService();
        _service = builder.Build();
        await _service.UseUserInfoServiceAsync();
        await _service.StartAsync(Cancel);
        _http = _service.GetTestClient();
    }

    [Fact]
    public async Task Profile_FollowsTheIdentityService_AndShowsEmailOnlyWithItsScope()
    {
        var user = await CreateUserAsync("Ann", "https://cdn.example.com/ann.png");
        var reader = await _identity.App.CreateClient().GetAccessTokenAsync(Reader, ReaderSecret, "profiles.read");
        var emailReader = await _identity.App.CreateClient().GetAccessTokenAsync(EmailReader, ReaderSecret, "profiles.read profiles.email");

        await Eventually.HoldsAsync(async () => (await GetAsync($"/users/{user.Id}", reader)).Status == HttpStatusCode.OK, "the new user's profile arrives");

        var (_, profile) = await GetAsync($"/users/{user.Id}", reader);
        Assert.Equal("Ann", profile.GetProperty("displayName").GetString());
        Assert.Equal("https://cdn.example.com/ann.png", profile.GetProperty("avatarUrl").GetString());
        Assert.Equal(JsonValueKind.Null, profile.GetProperty("email").ValueKind);
        Assert.Equal(["id", "displayName", "avatarUrl", "email"], profile.EnumerateObject().Select(p => p.Name));

        var (_, withEmail) = await GetAsync($"/users/{user.Id}", emailReader);
        Assert.Equal(user.Email, withEmail.GetProperty("email").GetString());

        await UpdateUserAsync(user.Id, u => u.DisplayName = "Ann B.");
        await Eventually.HoldsAsync(async () => (await GetAsync($"/users/{user.Id}", reader)).Body.GetProperty("displayName").GetString() == "Ann B.", "the new display name arrives");

        await UpdateUserAsync(user.Id, null, delete: true);
        await Eventually.HoldsAsync(async () => (await GetAsync($"/users/{user.Id}", reader)).Status == HttpStatusCode.NotFound, "the deleted user is forgotten");
    }

    [Fact]
    public async Task Profiles_CanBeReadManyAtOnce_AndUnknownIdsAreLeftOut()
    {
        var ann = await CreateUserAsync("Ann", null);
        var bob = await CreateUserAsync("Bob", null);
        var reader = await _identity.App.CreateClient().GetAccessTokenAsync(Reader, ReaderSecret, "profiles.read");
        await Eventually.HoldsAsync(async () => (await GetAsync($"/users/{bob.Id}", reader)).Status == HttpStatusCode.OK, "profiles arrive");

        var (status, body) = await GetAsync($"/users?ids={ann.Id},{bob.Id},{Guid.NewGuid()}", reader);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["Ann", "Bob"], body.EnumerateArray().Select(p => p.GetProperty("displayName").GetString()).Order());
    }

    [Theory]
    [InlineData("/users?ids=")]
    [InlineData("/users?ids=a&ids=b")]
    [InlineData("/users")]
    public async Task BadRequests_AreAnsweredWithAProblem(string path)
    {
        var reader = await _identity.App.CreateClient().GetAccessTokenAsync(Reader, ReaderSecret, "profiles.read");

        var (status, body) = await GetAsync(path, reader);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_ids", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task CallerWithoutAToken_OrWithoutTheReadScope_IsRefused()
    {
        var other = await _identity.TokenAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync($"/users/{Guid.NewGuid()}", null)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync($"/users/{Guid.NewGuid()}", other)).Status);
    }

    private async Task<GatehouseUser> CreateUserAsync(string name, string? picture)
    {
        await using var scope = _identity.App.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
        var email = $"{name.ToLowerInvariant()}-{Guid.NewGuid():N}@example.com";
        var user = new GatehouseUser { UserName = email, Email = email, DisplayName = name };
        Assert.True((await users.CreateAsync(user, "a-long-passphrase-1")).Succeeded);
        if (picture is not null)
        {
            Assert.True((await users.AddClaimAsync(user, new Claim("picture", picture))).Succeeded);
        }

        return user;
    }

    private async Task UpdateUserAsync(Guid id, Action<GatehouseUser>? change, bool delete = false)
    {
        await using var scope = _identity.App.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
        var user = (await users.FindByIdAsync(id.ToString()))!;
        if (delete)
        {
            Assert.True((await users.DeleteAsync(user)).Succeeded);
            return;
        }

        change!(user);
        Assert.True((await users.UpdateAsync(user)).Succeeded);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        using var response = await _http.SendAsync(request, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public async ValueTask DisposeAsync()
    {
        await _service.DisposeAsync();
        await _identity.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean up with the temp folder.
        }
    }
}
