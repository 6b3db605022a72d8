using System.Net;
using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Admin;
using Gatehouse.Identity.Tests.Infrastructure;
using Gatehouse.ResourceServer.Tests.Infrastructure;
using Gatehouse.ResourceServer.Tests.Tokens;

namespace Gatehouse.ResourceServer.Tests.Revocation;

/// <summary>
/// A ban made through the admin API reaches services using the kit through the revocation feed: the
/// banned user's access tokens are refused without any call per request. On the PostgreSQL + Redis pass
/// one service reads Redis and the other the HTTP feed.
/// </summary>
public sealed class BanPropagationTests : IAsyncLifetime
{
    private const string Password = "plum-orbit-canyon-4471";
    private IdentityNode _identity = null!;
    private ResourceServerHost _http = null!;
    private ResourceServerHost _redis = null!;

    public async ValueTask InitializeAsync()
    {
        _identity = await IdentityNode.StartAsync(AdminFixture.AdminClients());
        _http = await _identity.StartServiceAsync();
        _redis = await _identity.StartServiceAsync(redis: TestStorage.UsesRealServers && TestStorage.RedisConnection is not null);
    }

    [Fact]
    public async Task BanThroughTheAdminApi_MakesResourceServersRefuseTheUsersTokens()
    {
        var admin = new AdminApi(_identity.App.CreateClient(), AdminFixture.UsersAdmin, AdminFixture.UsersAdminSecret);
        var accounts = new AccountApi(_identity.App.CreateClient());
        var email = AccountApi.NewEmail();
        var user = await admin.CreateUserAsync(email, Password);
        var pair = await accounts.SignInAsync(email, Password);
        Assert.True(await _http.AnswersAsync(pair.AccessToken, HttpStatusCode.OK));
        Assert.True(await _redis.AnswersAsync(pair.AccessToken, HttpStatusCode.OK));

        await AdminApi.ExpectAsync(await admin.PostAsync($"/admin/users/{user}/ban", new { reason = "fraud" }), HttpStatusCode.OK);

        var first = await Eventually.HoldsAsync(() => _http.AnswersAsync(pair.AccessToken, HttpStatusCode.Unauthorized), "service on the HTTP feed refuses the banned user's token");
        var second = await Eventually.HoldsAsync(() => _redis.AnswersAsync(pair.AccessToken, HttpStatusCode.Unauthorized), "second service refuses the banned user's token");
        TestContext.Current.TestOutputHelper?.WriteLine($"ban seen after {first.TotalMilliseconds:0} ms and {second.TotalMilliseconds:0} ms");
        await AccessTokenValidationTests.AssertRefusedAsync(await _http.GetAsync("/whoami", pair.AccessToken), "subject_revoked");
    }

    public async ValueTask DisposeAsync()
    {
        await _http.DisposeAsync();
        await _redis.DisposeAsync();
        await _identity.DisposeAsync();
    }
}
