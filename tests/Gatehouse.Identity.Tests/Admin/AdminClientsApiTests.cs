using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Tests.Infrastructure;
using OpenIddict.Abstractions;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>/admin/clients: who may call it, what it accepts, and what a change does to the token endpoint.</summary>
public sealed class AdminClientsApiTests(AdminFixture fixture) : IClassFixture<AdminFixture>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("GET", "/admin/clients")]
    [InlineData("GET", "/admin/clients/orders-service")]
    [InlineData("POST", "/admin/clients")]
    [InlineData("PUT", "/admin/clients/orders-service")]
    [InlineData("PATCH", "/admin/clients/orders-service")]
    [InlineData("DELETE", "/admin/clients/orders-service")]
    [InlineData("POST", "/admin/clients/orders-service/secret")]
    public async Task EveryEndpoint_WithoutAToken_Answers401(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        using var response = await fixture.App.CreateClient().SendAsync(request, Cancel);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("GET", "/admin/clients")]
    [InlineData("GET", "/admin/clients/orders-service")]
    [InlineData("POST", "/admin/clients")]
    [InlineData("PUT", "/admin/clients/orders-service")]
    [InlineData("PATCH", "/admin/clients/orders-service")]
    [InlineData("DELETE", "/admin/clients/orders-service")]
    [InlineData("POST", "/admin/clients/orders-service/secret")]
    public async Task EveryEndpoint_WithATokenLackingTheScope_Answers403(string method, string path)
    {
        var keysOnly = new AdminApi(fixture.App.CreateClient(), AdminFixture.KeysAdmin, AdminFixture.KeysAdminSecret);
        var noAdmin = new AdminApi(fixture.App.CreateClient(), GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret);

        using var keys = await keysOnly.SendAsync(new HttpMethod(method), path, rawJson: "{}");
        using var none = await noAdmin.SendAsync(new HttpMethod(method), path, rawJson: "{}");

        Assert.Equal(HttpStatusCode.Forbidden, keys.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AnExpiredOrForgedToken_Answers401()
    {
        var http = fixture.App.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "eyJhbGciOiJub25lIn0.eyJzY29wZSI6ImdhdGVob3VzZTphZG1pbiJ9.");

        using var response = await http.GetAsync("/admin/clients", Cancel);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task ServiceClient_CreatedThroughTheApi_GetsATokenWithItsSecret_ThatIsShownOnce()
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = AdminApi.NewClientId("thumbnailer");

        using var created = await admin.PostAsync("/admin/clients", AdminApi.ServiceClient(clientId));
        var body = await created.ReadJsonAsync();

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/admin/clients/{clientId}", created.Headers.Location?.OriginalString);
        Assert.Equal("no-store", created.Headers.CacheControl?.ToString());
        var secret = body.GetProperty("client_secret").GetString()!;
        Assert.True(secret.Length >= 43, "at least 32 random bytes");
        var client = body.GetProperty("client");
        Assert.Equal("service", client.GetProperty("kind").GetString());
        Assert.Equal("admin", client.GetProperty("source").GetString());

        var token = ProtocolClient.Read(await fixture.App.CreateClient().GetAccessTokenAsync(clientId, secret, "images.read"));
        Assert.Equal(clientId, token.Subject);

        using var read = await admin.GetAsync($"/admin/clients/{clientId}");
        var text = await read.Content.ReadAsStringAsync(Cancel);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.DoesNotContain(secret, text);
        Assert.DoesNotContain("secret", text);
    }

    [Fact]
    public async Task Secret_IsStoredOnlyAsAHash()
    {
        var admin = AdminApi.Console(fixture.App);
        var (clientId, secret) = await admin.CreateServiceClientAsync("hashed");

        await using var scope = fixture.App.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var descriptor = new OpenIddictApplicationDescriptor();
        await applications.PopulateAsync(descriptor, (await applications.FindByClientIdAsync(clientId, Cancel))!, Cancel);

        Assert.NotNull(descriptor.ClientSecret);
        Assert.DoesNotContain(secret, descriptor.ClientSecret);
    }

    [Fact]
    public async Task SecretRotation_RefusesTheOldSecretAtOnce_OnTheFastPathAndInOpenIddict()
    {
        var admin = AdminApi.Console(fixture.App);
        var (clientId, oldSecret) = await admin.CreateServiceClientAsync("rotating");
        var http = fixture.App.CreateClient();
        using var grants = new GrantCounter(fixture.App.Services);

        // The first use verifies the secret in OpenIddict; the second is served by the fast path from its caches.
        await http.GetAccessTokenAsync(clientId, oldSecret, "images.read");
        await http.GetAccessTokenAsync(clientId, oldSecret, "images.read");
        Assert.True(grants.Fast >= 1, "the fast path served the client before the rotation");

        using var rotated = await admin.PostAsync($"/admin/clients/{clientId}/secret");
        var newSecret = (await rotated.ReadJsonAsync()).GetProperty("client_secret").GetString()!;

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.NotEqual(oldSecret, newSecret);
        using var old = await http.RequestClientCredentialsAsync(clientId, oldSecret, "images.read");
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        Assert.Equal("invalid_client", (await old.ReadJsonAsync()).GetProperty("error").GetString());
        await http.GetAccessTokenAsync(clientId, newSecret, "images.read");
        var fastBefore = grants.Fast;
        await http.GetAccessTokenAsync(clientId, newSecret, "images.read");
        Assert.True(grants.Fast > fastBefore, "the new secret is served by the fast path once verified");
        await AssertAuditedAsync(fixture.App, AuditEventTypes.ClientSecretRotated, AdminFixture.Console, "client:" + clientId);
    }

    [Fact]
    public async Task SecretRotation_OnOneNode_RefusesTheOldSecretOnTheOther_WhenRedisIsConfigured()
    {
        Assert.SkipUnless(TestStorage.UsesRealServers && TestStorage.RedisConnection is not null,
            "without Redis each node is alone; run through test.sh for Redis");

        await using var second = new GatehouseApp(fixture.App.Storage, AdminFixture.Settings());
        var admin = AdminApi.Console(fixture.App);
        var (clientId, oldSecret) = await admin.CreateServiceClientAsync("two-nodes");
        var other = second.CreateClient();
        await other.GetAccessTokenAsync(clientId, oldSecret, "images.read");
        await other.GetAccessTokenAsync(clientId, oldSecret, "images.read");

        using var rotated = await admin.PostAsync($"/admin/clients/{clientId}/secret");
        rotated.EnsureSuccessStatusCode();

        // Pub/sub is asynchronous: the other node drops its caches within moments, never after the 30-second cache lifetime.
        HttpStatusCode status = default;
        for (var attempt = 0; attempt < 50 && status != HttpStatusCode.Unauthorized; attempt++)
        {
            using var old = await other.RequestClientCredentialsAsync(clientId, oldSecret, "images.read");
            status = old.StatusCode;
            if (status != HttpStatusCode.Unauthorized)
            {
                await Task.Delay(100, Cancel);
            }
        }

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task DeletedClient_IsRefusedByTheTokenEndpoint_AndItsTokensAreRevoked()
    {
        var admin = AdminApi.Console(fixture.App);
        var (clientId, secret) = await admin.CreateServiceClientAsync("doomed");
        var http = fixture.App.CreateClient();
        var token = await http.GetAccessTokenAsync(clientId, secret, "images.read");
        await http.GetAccessTokenAsync(clientId, secret, "images.read");
        Assert.True(await http.IsActiveAsync(token));

        using var deleted = await admin.DeleteAsync($"/admin/clients/{clientId}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var refused = await http.RequestClientCredentialsAsync(clientId, secret, "images.read");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.False(await http.IsActiveAsync(token));
        using var gone = await admin.GetAsync($"/admin/clients/{clientId}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("client_not_found", (await gone.ReadJsonAsync()).GetProperty("code").GetString());
        await AssertAuditedAsync(fixture.App, AuditEventTypes.ClientCreated, AdminFixture.Console, "client:" + clientId);
        await AssertAuditedAsync(fixture.App, AuditEventTypes.ClientDeleted, AdminFixture.Console, "client:" + clientId);
    }

    [Fact]
    public async Task DeletedClient_SignInsOfItsUsers_GoOnTheRevocationFeed()
    {
        const string password = "a long passphrase for the deleted client";
        const string redirect = "https://first-party.example/callback";
        var admin = AdminApi.Console(fixture.App);
        var clientId = AdminApi.NewClientId("first-party");
        var registration = new Dictionary<string, object?>
        {
            ["client_id"] = clientId,
            ["type"] = "confidential",
            ["first_party"] = true,
            ["allow_accounts_api"] = true,
            ["grant_types"] = new[] { "authorization_code", "refresh_token" },
            ["redirect_uris"] = new[] { redirect },
            ["scopes"] = new[] { "openid", "offline_access", "images.read" },
        };
        using var created = await admin.PostAsync("/admin/clients", registration);
        var body = await created.Content.ReadAsStringAsync(Cancel);
        Assert.True(created.StatusCode == HttpStatusCode.Created, body);
        var secret = JsonDocument.Parse(body).RootElement.GetProperty("client_secret").GetString()!;
        var email = Accounts.AccountApi.NewEmail();
        await Accounts.AccountApi.CreateUserAsync(fixture.App, email, password);

        // One account-API session (sid: its refresh-token family) and one code-flow sign-in (sid: its authorization).
        var pair = await new Accounts.AccountApi(fixture.App.CreateClient(), clientId, secret).SignInAsync(email, password);
        using var browser = BrowserFlow.For(fixture.App);
        var (code, _) = await browser.GetCodeAsync(browser.AuthorizeUrl(clientId, redirect, "openid offline_access images.read"), consent: false, email, password);
        using var redeemed = await browser.RedeemAsync(code, clientId, redirect, secret);
        var codeFlowToken = (await BrowserFlow.TokensAsync(redeemed)).GetProperty("access_token").GetString()!;
        var sessions = new[] { pair.AccessToken, codeFlowToken }
            .Select(token => new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token).GetClaim("sid").Value)
            .ToList();
        Assert.Equal(2, sessions.Distinct().Count());
        var feed = fixture.App.Services.GetRequiredService<Gatehouse.Identity.Feeds.IEventLog<Gatehouse.ResourceServer.Revocation.RevocationEvent>>();
        var cursor = await feed.CurrentCursorAsync(Cancel);

        using var deleted = await admin.DeleteAsync($"/admin/clients/{clientId}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var read = await feed.ReadAsync(cursor, TimeSpan.Zero, Cancel);
        foreach (var sid in sessions)
        {
            Assert.Contains(read.Events, e => e.SessionId == sid && e.Reason == "client_deleted");
        }
    }

    [Fact]
    public async Task Replace_ChangesTheRegistration_KeepsTheSecret_AndTakesEffectAtOnce()
    {
        var admin = AdminApi.Console(fixture.App);
        var (clientId, secret) = await admin.CreateServiceClientAsync("changing");
        var http = fixture.App.CreateClient();
        await http.GetAccessTokenAsync(clientId, secret, "images.read");
        await http.GetAccessTokenAsync(clientId, secret, "images.read");

        var changed = AdminApi.ServiceClient(clientId);
        changed["scopes"] = new[] { "orders.read" };
        changed["access_token_lifetime"] = 120;
        using var replaced = await admin.SendAsync(HttpMethod.Put, $"/admin/clients/{clientId}", changed);
        var view = await replaced.ReadJsonAsync();

        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal(["orders.read"], view.GetProperty("scopes").EnumerateArray().Select(scope => scope.GetString()));
        Assert.Equal(120, view.GetProperty("access_token_lifetime").GetInt32());
        using var oldScope = await http.RequestClientCredentialsAsync(clientId, secret, "images.read");
        Assert.Equal(HttpStatusCode.BadRequest, oldScope.StatusCode);
        var token = ProtocolClient.Read(await http.GetAccessTokenAsync(clientId, secret, "orders.read"));
        Assert.Equal(TimeSpan.FromSeconds(120), token.ValidTo - token.IssuedAt);
    }

    [Fact]
    public async Task List_IsPaged_AndFiltersByTypeAndKind_AndShowsConfiguredClientsAsSuch()
    {
        var admin = AdminApi.Console(fixture.App);
        var spa = AdminApi.NewClientId("listed-spa");
        (await admin.PostAsync("/admin/clients", AdminApi.SpaClient(spa, "https://listed.example/cb", "https://listed.example/out"))).Dispose();

        var all = await (await admin.GetAsync("/admin/clients?page_size=200")).ReadJsonAsync();
        var items = all.GetProperty("clients").EnumerateArray().ToList();
        var ids = items.Select(item => item.GetProperty("client_id").GetString()!).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.Contains(spa, ids);
        Assert.Equal(JsonValueKind.Null, all.GetProperty("next_page_token").ValueKind);
        var orders = items.Single(item => item.GetProperty("client_id").GetString() == GatehouseApp.OrdersClient);
        Assert.Equal("configuration", orders.GetProperty("source").GetString());

        // Page by page, two at a time, the same clients in the same order.
        var paged = new List<string>();
        string? token = null;
        do
        {
            var page = await (await admin.GetAsync("/admin/clients?page_size=2" + (token is null ? "" : "&page_token=" + token))).ReadJsonAsync();
            var clients = page.GetProperty("clients").EnumerateArray().Select(item => item.GetProperty("client_id").GetString()!).ToList();
            Assert.InRange(clients.Count, 1, 2);
            paged.AddRange(clients);
            token = page.GetProperty("next_page_token").GetString();
        }
        while (token is not null);

        Assert.Equal(ids, paged);

        var publics = await (await admin.GetAsync("/admin/clients?type=public&page_size=200")).ReadJsonAsync();
        Assert.All(publics.GetProperty("clients").EnumerateArray(), item => Assert.Equal("public", item.GetProperty("type").GetString()));
        var spas = await (await admin.GetAsync("/admin/clients?kind=spa&page_size=200")).ReadJsonAsync();
        var listedSpa = spas.GetProperty("clients").EnumerateArray().Single(item => item.GetProperty("client_id").GetString() == spa);
        Assert.Equal(["https://listed.example"], listedSpa.GetProperty("cors_origins").EnumerateArray().Select(origin => origin.GetString()));
    }

    [Theory]
    [InlineData("type=spa", "type")]
    [InlineData("type=public&type=confidential", "type")]
    [InlineData("kind=robot", "kind")]
    [InlineData("page_token=not-a-token!", "page_token")]
    [InlineData("page_token=YSBi", "page_token")]
    [InlineData("page_size=abc", "page_size")]
    [InlineData("page_size=0", "page_size")]
    [InlineData("page_size=100000", "page_size")]
    public async Task List_WithABadParameter_Answers400NamingIt(string query, string field)
    {
        var admin = AdminApi.Console(fixture.App);

        using var response = await admin.GetAsync("/admin/clients?" + query);

        await AssertProblemNamesAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("SECRET")]
    public async Task ClientFromConfiguration_IsReadOnly_With409(string change)
    {
        var admin = AdminApi.Console(fixture.App);
        var path = $"/admin/clients/{GatehouseApp.OrdersClient}";

        using var response = change switch
        {
            "PUT" => await admin.SendAsync(HttpMethod.Put, path, AdminApi.ServiceClient(GatehouseApp.OrdersClient)),
            "DELETE" => await admin.DeleteAsync(path),
            _ => await admin.PostAsync(path + "/secret"),
        };

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("client_from_configuration", (await response.ReadJsonAsync()).GetProperty("code").GetString());
        await fixture.App.CreateClient().GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
    }

    [Fact]
    public async Task ClientThatConfigurationNoLongerDefines_CanBeDeletedHere()
    {
        const string retired = "retired-service";
        await using var storage = await TestStorage.CreateAsync();
        var before = new Dictionary<string, string?>(AdminFixture.Settings())
        {
            [$"Gatehouse:Clients:{retired}:Secret"] = "retired-service-secret-0001",
            [$"Gatehouse:Clients:{retired}:GrantTypes:0"] = "client_credentials",
            [$"Gatehouse:Clients:{retired}:Scopes:0"] = "images.read",
        };
        await using (var first = new GatehouseApp(storage, before))
        {
            using var refused = await AdminApi.Console(first).DeleteAsync($"/admin/clients/{retired}");
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        }

        await using var second = new GatehouseApp(storage, AdminFixture.Settings());
        var admin = AdminApi.Console(second);
        var view = await (await admin.GetAsync($"/admin/clients/{retired}")).ReadJsonAsync();
        Assert.Equal("admin", view.GetProperty("source").GetString());

        using var deleted = await admin.DeleteAsync($"/admin/clients/{retired}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var token = await second.CreateClient().RequestClientCredentialsAsync(retired, "retired-service-secret-0001", "images.read");
        Assert.Equal(HttpStatusCode.Unauthorized, token.StatusCode);
    }

    [Fact]
    public async Task DuplicateClientId_Answers409_AndLeavesTheFirstAlone()
    {
        var admin = AdminApi.Console(fixture.App);
        var (clientId, secret) = await admin.CreateServiceClientAsync("twice");

        using var second = await admin.PostAsync("/admin/clients", AdminApi.ServiceClient(clientId));
        using var configured = await admin.PostAsync("/admin/clients", AdminApi.ServiceClient(GatehouseApp.OrdersClient));

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("client_exists", (await second.ReadJsonAsync()).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Conflict, configured.StatusCode);
        await fixture.App.CreateClient().GetAccessTokenAsync(clientId, secret, "images.read");
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "{", "" },
        { "[]", "" },
        { "not json", "" },
        { """{"client_id":"a","type":"confidential","grant_types":"client_credentials"}""", "grant_types" },
        { """{"client_id":"a","type":"confidential","grant_types":["client_credentials"],"first_party":"yes"}""", "first_party" },
        { """{"client_id":"a","type":"confidential","grant_types":["client_credentials"],"access_token_lifetime":"long"}""", "access_token_lifetime" },
        { """{"client_id":"a","type":"confidential","grant_types":["client_credentials"],"colour":"red"}""", "colour" },
        { """{"client_id":"a","type":"confidential","grant_types":["client_credentials"],"client_secret":"mine-mine-mine-mine"}""", "client_secret" },
        { """{"type":"confidential","grant_types":["client_credentials"]}""", "client_id" },
        { """{"client_id":"a","grant_types":["client_credentials"]}""", "type" },
        { """{"client_id":"a","type":"confidential"}""", "grant_types" },
        { """{"client_id":"a b","type":"confidential","grant_types":["client_credentials"]}""", "client_id" },
        { """{"client_id":"a","type":"spa","grant_types":["client_credentials"]}""", "type" },
        { """{"client_id":"a","type":"confidential","grant_types":["password"]}""", "grant_types" },
        { """{"client_id":"a","type":"public","grant_types":["implicit"]}""", "grant_types" },
        { """{"client_id":"a","type":"confidential","grant_types":["client_credentials"],"scopes":["root"]}""", "scopes" },
        { """{"client_id":"a","type":"public","grant_types":["client_credentials"]}""", "grant_types" },
        { """{"client_id":"a","type":"confidential","grant_types":["authorization_code"]}""", "redirect_uris" },
        { """{"client_id":"a","type":"confidential","grant_types":["authorization_code"],"redirect_uris":["/callback"]}""", "redirect_uris" },
        { """{"client_id":"a","type":"confidential","grant_types":["authorization_code"],"redirect_uris":["https://a.example/cb#top"]}""", "redirect_uris" },
        { """{"client_id":"a","type":"confidential","grant_types":["authorization_code"],"redirect_uris":["https://*.example.com/cb"]}""", "redirect_uris" },
        { """{"client_id":"a","type":"confidential","grant_types":["authorization_code"],"redirect_uris":["http://web.example.com/cb"]}""", "redirect_uris" },
        { """{"client_id":"a","type":"confidential","grant_types":["authorization_code"],"redirect_uris":["com.example.app:/cb"]}""", "redirect_uris" },
        { """{"client_id":"a","type":"confidential","grant_types":["authorization_code"],"redirect_uris":["https://a.example/cb"],"post_logout_redirect_uris":["javascript:alert(1)"]}""", "post_logout_redirect_uris" },
        { """{"client_id":"a","type":"confidential","grant_types":["authorization_code"],"redirect_uris":["https://a.example/cb"],"back_channel_logout_uri":"http://a.example/bc"}""", "back_channel_logout_uri" },
        { """{"client_id":"a","type":"confidential","grant_types":["refresh_token"]}""", "grant_types" },
        { """{"client_id":"a","type":"confidential","grant_types":["client_credentials"],"access_token_format":"paseto"}""", "access_token_format" },
        { """{"client_id":"a","type":"confidential","grant_types":["client_credentials"],"access_token_lifetime":86400}""", "access_token_lifetime" },
        { """{"client_id":"a","type":"confidential","grant_types":["client_credentials"],"access_token_lifetime":-5}""", "access_token_lifetime" },
        { """{"client_id":"a","type":"confidential","grant_types":["client_credentials"],"allow_accounts_api":true}""", "allow_accounts_api" },
        { """{"client_id":"a","type":"confidential","grant_types":["client_credentials"],"allow_token_exchange":true}""", "allow_token_exchange" },
        { """{"client_id":"a","type":"confidential","grant_types":["client_credentials"],"resources":["https://unknown.example/"]}""", "resources" },
        { """{"client_id":"a","type":"public","grant_types":["authorization_code"],"redirect_uris":["https://a.example/cb"],"allow_introspection":true}""", "allow_introspection" },
        { """{"client_id":"a","type":"confidential","grant_types":["client_credentials"],"display_name":"a\u0007b"}""", "display_name" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Create_WithBadInput_Answers400NamingTheField_AndCreatesNothing(string json, string field)
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = AdminApi.NewClientId("bad");
        json = json.Replace("\"client_id\":\"a\"", $"\"client_id\":\"{clientId}\"", StringComparison.Ordinal);

        using var response = await admin.SendAsync(HttpMethod.Post, "/admin/clients", rawJson: json);

        await AssertProblemNamesAsync(response, HttpStatusCode.BadRequest, field);
        await AssertNoClientAsync(clientId);
    }

    [Fact]
    public async Task Create_WithAnOversizedBody_Answers413_AndCreatesNothing()
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = AdminApi.NewClientId("huge");
        var body = AdminApi.ServiceClient(clientId);
        body["display_name"] = new string('x', 40_000);

        using var response = await admin.PostAsync("/admin/clients", body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", (await response.ReadJsonAsync()).GetProperty("code").GetString());
        await AssertNoClientAsync(clientId);
    }

    [Fact]
    public async Task Create_AsText_Answers415()
    {
        var admin = AdminApi.Console(fixture.App);

        using var response = await admin.SendAsync(HttpMethod.Post, "/admin/clients", rawJson: "{}", contentType: "text/plain");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Create_WithAnAdminScopeTheCallerLacks_Answers403_AndCreatesNothing()
    {
        var clientsOnly = new AdminApi(fixture.App.CreateClient(), AdminFixture.ClientsAdmin, AdminFixture.ClientsAdminSecret);
        var clientId = AdminApi.NewClientId("escalate");
        var body = AdminApi.ServiceClient(clientId);
        body["scopes"] = new[] { "gatehouse:admin" };

        using var response = await clientsOnly.PostAsync("/admin/clients", body);

        await AssertProblemNamesAsync(response, HttpStatusCode.Forbidden, "scopes");
        await AssertNoClientAsync(clientId);
    }

    [Fact]
    public async Task ServiceClientWithAnAdminScope_GetsATokenTheAdminApiAccepts_AndOneWithoutItDoesNot()
    {
        var admin = AdminApi.Console(fixture.App);
        var allowed = AdminApi.NewClientId("key-robot");
        var body = AdminApi.ServiceClient(allowed);
        body["scopes"] = new[] { "gatehouse:admin.keys" };
        using var created = await admin.PostAsync("/admin/clients", body);
        var secret = (await created.ReadJsonAsync()).GetProperty("client_secret").GetString()!;

        var robot = new AdminApi(fixture.App.CreateClient(), allowed, secret);
        using var keys = await robot.GetAsync("/admin/keys");
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);

        using var refused = await fixture.App.CreateClient().RequestClientCredentialsAsync(
            GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "gatehouse:admin.keys");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains((await refused.ReadJsonAsync()).GetProperty("error").GetString(), new[] { "invalid_scope", "invalid_request" });
    }

    [Theory]
    [InlineData("""{"client_id":"other","type":"confidential","grant_types":["client_credentials"]}""", "client_id")]
    [InlineData("""{"type":"public","grant_types":["authorization_code"],"redirect_uris":["https://a.example/cb"]}""", "type")]
    [InlineData("""{"type":"confidential","grant_types":["client_credentials"],"redirect_uris":["https://a.example/cb"]}""", "redirect_uris")]
    [InlineData("""{"type":"confidential","grant_types":["client_credentials"],"scopes":7}""", "scopes")]
    public async Task Replace_WithBadInput_Answers400NamingTheField_AndChangesNothing(string json, string field)
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = AdminApi.NewClientId("kept");
        using var created = await admin.PostAsync("/admin/clients", AdminApi.ServiceClient(clientId));
        var before = await (await admin.GetAsync($"/admin/clients/{clientId}")).Content.ReadAsStringAsync(Cancel);

        using var response = await admin.SendAsync(HttpMethod.Put, $"/admin/clients/{clientId}", rawJson: json);

        await AssertProblemNamesAsync(response, HttpStatusCode.BadRequest, field);
        var after = await (await admin.GetAsync($"/admin/clients/{clientId}")).Content.ReadAsStringAsync(Cancel);
        Assert.Equal(before, after);
    }

    [Theory]
    [InlineData("GET", "/admin/clients/nobody")]
    [InlineData("PUT", "/admin/clients/nobody")]
    [InlineData("DELETE", "/admin/clients/nobody")]
    [InlineData("POST", "/admin/clients/nobody/secret")]
    [InlineData("GET", "/admin/clients/bad%20id")]
    public async Task UnknownClient_Answers404(string method, string path)
    {
        var admin = AdminApi.Console(fixture.App);

        using var response = await admin.SendAsync(new HttpMethod(method), path, AdminApi.ServiceClient("nobody"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("client_not_found", (await response.ReadJsonAsync()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task PublicClient_HasNoSecretToRotate()
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = AdminApi.NewClientId("no-secret");
        using var created = await admin.PostAsync("/admin/clients", AdminApi.SpaClient(clientId, "https://ns.example/cb", "https://ns.example/out"));
        Assert.Equal(JsonValueKind.Null, (await created.ReadJsonAsync()).GetProperty("client_secret").ValueKind);

        using var response = await admin.PostAsync($"/admin/clients/{clientId}/secret");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("public_client", (await response.ReadJsonAsync()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task RegisteredSpa_CanCallTheTokenEndpointFromItsOrigin()
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = AdminApi.NewClientId("cors-spa");
        var origin = $"https://{clientId}.example";
        using var created = await admin.PostAsync("/admin/clients", AdminApi.SpaClient(clientId, origin + "/cb", origin + "/out"));
        created.EnsureSuccessStatusCode();

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/connect/token");
        preflight.Headers.Add("Origin", origin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        using var response = await fixture.App.CreateClient().SendAsync(preflight, Cancel);

        Assert.Equal(origin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    /// <summary>The change is in the audit log under the calling client, naming what it changed.</summary>
    internal static async Task AssertAuditedAsync(GatehouseApp app, string type, string callerClientId, string target)
    {
        var audit = app.Services.GetRequiredService<AuditLog>();
        await audit.FlushAsync(Cancel);
        var events = await audit.QueryAsync(new AuditQuery(Type: type, Limit: 1000), Cancel);
        Assert.Contains(events, entry => entry.ClientId == callerClientId && entry.Reason == target && entry.UserId is null);
    }

    private async Task AssertNoClientAsync(string clientId)
    {
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        Assert.Null(await applications.FindByClientIdAsync(clientId, Cancel));
    }

    private static async Task AssertProblemNamesAsync(HttpResponseMessage response, HttpStatusCode status, string field)
    {
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()), body);
        if (field.Length > 0)
        {
            Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _),
                $"the problem does not name '{field}': {body}");
        }
    }
}
