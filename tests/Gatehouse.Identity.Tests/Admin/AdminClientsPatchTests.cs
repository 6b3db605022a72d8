using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Admin;

/// <summary>PATCH /admin/clients/{clientId} (JSON merge patch) and the ETag / If-Match of a client's registration.</summary>
public sealed class AdminClientsPatchTests(AdminFixture fixture) : IClassFixture<AdminFixture>
{
    private const string MergePatch = "application/merge-patch+json";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Patch_OfOneMember_KeepsTheRest_AndANewRedirectUriIsAcceptedAtOnce()
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = AdminApi.NewClientId("patched-spa");
        var first = $"https://{clientId}.example/cb";
        var second = $"https://{clientId}.example/cb2";
        (await admin.PostAsync("/admin/clients", AdminApi.SpaClient(clientId, first, $"https://{clientId}.example/out"))).EnsureSuccessStatusCode();
        var (before, tag) = await ReadAsync(admin, clientId);
        using var browser = BrowserFlow.For(fixture.App);
        using (var refused = await browser.GetAsync(browser.AuthorizeUrl(clientId, second, "openid")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        using var response = await PatchAsync(admin, clientId, $$"""{"redirect_uris":["{{first}}","{{second}}"]}""");

        var after = await AdminApi.ExpectAsync(response, HttpStatusCode.OK);
        Assert.Equal([first, second], after.GetProperty("redirect_uris").EnumerateArray().Select(uri => uri.GetString()));
        foreach (var member in before.EnumerateObject().Where(member => member.Name != "redirect_uris"))
        {
            Assert.Equal(member.Value.GetRawText(), after.GetProperty(member.Name).GetRawText());
        }

        var newTag = response.Headers.ETag?.Tag;
        Assert.NotNull(newTag);
        Assert.NotEqual(tag, newTag);
        Assert.Equal(newTag, (await ReadAsync(admin, clientId)).ETag);
        using var accepted = await browser.GetAsync(browser.AuthorizeUrl(clientId, second, "openid"));
        Assert.Equal(HttpStatusCode.Redirect, accepted.StatusCode);
        Assert.DoesNotContain(second, accepted.Headers.Location!.OriginalString, StringComparison.Ordinal); // on to sign in, not back with an error
        await AdminClientsApiTests.AssertAuditedAsync(fixture.App, AuditEventTypes.ClientUpdated, AdminFixture.Console, "client:" + clientId);
    }

    [Fact]
    public async Task Patch_RemovingAScope_IsRefusedAtTheTokenEndpoint_AndTheOtherScopesStillWork()
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = AdminApi.NewClientId("patched-service");
        var registration = AdminApi.ServiceClient(clientId);
        registration["scopes"] = new[] { "images.read", "orders.read" };
        var created = await AdminApi.ExpectAsync(await admin.PostAsync("/admin/clients", registration), HttpStatusCode.Created);
        var secret = created.GetProperty("client_secret").GetString()!;
        var http = fixture.App.CreateClient();
        await http.GetAccessTokenAsync(clientId, secret, "orders.read");

        // Plain application/json is a merge patch too.
        var after = await AdminApi.ExpectAsync(await PatchAsync(admin, clientId, """{"scopes":["images.read"]}""", contentType: "application/json"), HttpStatusCode.OK);

        Assert.Equal(["images.read"], after.GetProperty("scopes").EnumerateArray().Select(scope => scope.GetString()));
        Assert.Equal(["client_credentials"], after.GetProperty("grant_types").EnumerateArray().Select(grant => grant.GetString()));
        using var removed = await http.RequestClientCredentialsAsync(clientId, secret, "orders.read");
        Assert.Equal(HttpStatusCode.BadRequest, removed.StatusCode);
        await http.GetAccessTokenAsync(clientId, secret, "images.read"); // the secret stayed
    }

    [Fact]
    public async Task Patch_ThatChangesNothing_KeepsTheTag_AndRecordsNoChange()
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = AdminApi.NewClientId("unchanged");
        var registration = AdminApi.ServiceClient(clientId);
        registration["scopes"] = new[] { "images.read" };
        (await admin.PostAsync("/admin/clients", registration)).EnsureSuccessStatusCode();
        var (before, tag) = await ReadAsync(admin, clientId);

        using var empty = await PatchAsync(admin, clientId, "{}", ifMatch: $"\"{tag.Trim('"')}\"");
        using var same = await PatchAsync(admin, clientId, """{"scopes":["images.read"]}""");

        foreach (var response in new[] { empty, same })
        {
            Assert.Equal(before.GetRawText(), (await AdminApi.ExpectAsync(response, HttpStatusCode.OK)).GetRawText());
            Assert.Equal(tag, response.Headers.ETag?.Tag);
        }

        Assert.Equal(tag, (await ReadAsync(admin, clientId)).ETag);
        var audit = fixture.App.Services.GetRequiredService<AuditLog>();
        await audit.FlushAsync(Cancel);
        Assert.DoesNotContain(await audit.QueryAsync(new AuditQuery(Type: AuditEventTypes.ClientUpdated, Limit: 1000), Cancel),
            entry => entry.Reason == "client:" + clientId);
    }

    [Fact]
    public async Task Patch_WithNull_ResetsAMemberToItsDefault()
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = AdminApi.NewClientId("reset");
        var registration = AdminApi.ServiceClient(clientId);
        registration["access_token_lifetime"] = 120;
        registration["allow_introspection"] = true;
        registration["access_token_format"] = "reference";
        (await admin.PostAsync("/admin/clients", registration)).EnsureSuccessStatusCode();

        var after = await AdminApi.ExpectAsync(await PatchAsync(admin, clientId,
            """{"access_token_lifetime":null,"allow_introspection":null,"access_token_format":null,"display_name":null}"""), HttpStatusCode.OK);

        Assert.Equal(JsonValueKind.Null, after.GetProperty("access_token_lifetime").ValueKind);
        Assert.False(after.GetProperty("allow_introspection").GetBoolean());
        Assert.Equal("jwt", after.GetProperty("access_token_format").GetString());
        Assert.Equal(clientId, after.GetProperty("display_name").GetString()); // shown as its id when it has no name
        Assert.Equal(["images.read"], after.GetProperty("scopes").EnumerateArray().Select(scope => scope.GetString()));
    }

    [Fact]
    public async Task Patch_NamingTheClientItself_IsAccepted()
    {
        var admin = AdminApi.Console(fixture.App);
        var (clientId, _) = await admin.CreateServiceClientAsync("same-id");

        var after = await AdminApi.ExpectAsync(await PatchAsync(admin, clientId, $$"""{"client_id":"{{clientId}}","display_name":"Renamed"}"""), HttpStatusCode.OK);

        Assert.Equal("Renamed", after.GetProperty("display_name").GetString());
    }

    public static TheoryData<string, string> BadPatches => new()
    {
        { """{"client_id":"someone-else"}""", "client_id" },
        { """{"client_id":null}""", "client_id" },
        { """{"client_id":7}""", "client_id" },
        { """{"type":null}""", "type" },
        { """{"type":"confidential"}""", "type" },
        { """{"grant_types":null}""", "grant_types" },
        { """{"grant_types":["password"]}""", "grant_types" },
        { """{"redirect_uris":[]}""", "redirect_uris" },
        { """{"redirect_uris":"https://a.example/cb"}""", "redirect_uris" },
        { """{"redirect_uris":["https://*.example/cb"]}""", "redirect_uris" },
        { """{"scopes":7}""", "scopes" },
        { """{"scopes":{"openid":true}}""", "scopes" },
        { """{"scopes":["no.such.scope"]}""", "scopes" },
        { """{"scopes":["openid"],"scopes":["profile"]}""", "scopes" },
        { """{"kind":"web"}""", "kind" },
        { """{"client_secret":"chosen-by-the-caller-0001"}""", "client_secret" },
        { """{"access_token_lifetime":"soon"}""", "access_token_lifetime" },
        { """{"access_token_lifetime":-1}""", "access_token_lifetime" },
        { """{"access_token_lifetime":86400}""", "access_token_lifetime" },
        { """{"allow_introspection":true}""", "allow_introspection" },
        { """{"display_name":"a\u0007b"}""", "display_name" },
        { """{"first_party":"yes"}""", "first_party" },
        { """{"scopes":[null]}""", "scopes" },
        { """{"redirect_uris":[null]}""", "redirect_uris" },
        { """{"grant_types":[null]}""", "grant_types" },
        { """{"resources":[null]}""", "resources" },
        { """{"post_logout_redirect_uris":[null]}""", "post_logout_redirect_uris" },
        { """{"redirect_uris":[[[[[[[[["deep"]]]]]]]]]}""", "redirect_uris" },
    };

    [Theory]
    [MemberData(nameof(BadPatches))]
    public async Task Patch_WithBadInput_Answers400NamingTheMember_AndChangesNothing(string json, string field)
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = await CreateSpaAsync(admin, "bad-patch");
        var (before, tag) = await ReadAsync(admin, clientId);

        await AdminApi.ExpectNamedAsync(await PatchAsync(admin, clientId, json), field);

        await AssertUnchangedAsync(admin, clientId, before, tag);
    }

    [Theory]
    [InlineData("{\"scopes\":")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("\"redirect_uris\"")]
    [InlineData("")]
    public async Task Patch_ThatIsNoJsonObject_Answers400_AndChangesNothing(string body)
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = await CreateSpaAsync(admin, "not-object");
        var (before, tag) = await ReadAsync(admin, clientId);

        var problem = await AdminApi.ExpectAsync(await PatchAsync(admin, clientId, body), HttpStatusCode.BadRequest);

        Assert.Equal("invalid_request", problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        await AssertUnchangedAsync(admin, clientId, before, tag);
    }

    [Fact]
    public async Task Patch_WithAnOversizedBody_Answers413_AndChangesNothing()
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = await CreateSpaAsync(admin, "huge-patch");
        var (before, tag) = await ReadAsync(admin, clientId);

        using var response = await PatchAsync(admin, clientId, $$"""{"display_name":"{{new string('x', 40_000)}}"}""");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", (await response.ReadJsonAsync()).GetProperty("code").GetString());
        await AssertUnchangedAsync(admin, clientId, before, tag);
    }

    [Fact]
    public async Task Patch_AsText_Answers415()
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = await CreateSpaAsync(admin, "text-patch");

        using var response = await PatchAsync(admin, clientId, """{"display_name":"x"}""", contentType: "text/plain");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Patch_WithAStaleIfMatch_Answers412_AndWithTheCurrentOneApplies()
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = await CreateSpaAsync(admin, "etag");
        var (_, first) = await ReadAsync(admin, clientId);
        await AdminApi.ExpectAsync(await PatchAsync(admin, clientId, """{"display_name":"Second"}""", ifMatch: first), HttpStatusCode.OK);
        var (afterSecond, current) = await ReadAsync(admin, clientId);
        Assert.NotEqual(first, current);

        using var stale = await PatchAsync(admin, clientId, """{"display_name":"Lost update"}""", ifMatch: first);
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal("client_changed", (await stale.ReadJsonAsync()).GetProperty("code").GetString());
        using var weak = await PatchAsync(admin, clientId, """{"display_name":"Weak"}""", ifMatch: "W/" + current);
        Assert.Equal(HttpStatusCode.PreconditionFailed, weak.StatusCode);
        using var replace = new HttpRequestMessage(HttpMethod.Put, $"/admin/clients/{clientId}")
        {
            Content = new StringContent(JsonSerializer.Serialize(AdminApi.SpaClient(clientId, $"https://{clientId}.example/cb", $"https://{clientId}.example/out")), Encoding.UTF8, "application/json"),
        };
        replace.Headers.Authorization = new("Bearer", await admin.TokenAsync());
        replace.Headers.TryAddWithoutValidation("If-Match", first);
        using var replaced = await fixture.App.CreateClient().SendAsync(replace, Cancel);
        Assert.Equal(HttpStatusCode.PreconditionFailed, replaced.StatusCode);
        await AssertUnchangedAsync(admin, clientId, afterSecond, current);

        var applied = await AdminApi.ExpectAsync(await PatchAsync(admin, clientId, """{"display_name":"Third"}""", ifMatch: $"\"other\", {current}"), HttpStatusCode.OK);
        Assert.Equal("Third", applied.GetProperty("display_name").GetString());
        var any = await AdminApi.ExpectAsync(await PatchAsync(admin, clientId, """{"display_name":"Fourth"}""", ifMatch: "*"), HttpStatusCode.OK);
        Assert.Equal("Fourth", any.GetProperty("display_name").GetString());
    }

    [Theory]
    [InlineData("not-a-tag")]
    [InlineData("\"unterminated")]
    public async Task Patch_WithAMalformedIfMatch_Answers400NamingIt_AndChangesNothing(string ifMatch)
    {
        var admin = AdminApi.Console(fixture.App);
        var clientId = await CreateSpaAsync(admin, "bad-etag");
        var (before, tag) = await ReadAsync(admin, clientId);

        await AdminApi.ExpectNamedAsync(await PatchAsync(admin, clientId, """{"display_name":"x"}""", ifMatch: ifMatch), "If-Match");

        await AssertUnchangedAsync(admin, clientId, before, tag);
    }

    [Fact]
    public async Task Patch_OfAClientFromConfiguration_Answers409()
    {
        var admin = AdminApi.Console(fixture.App);

        using var response = await PatchAsync(admin, GatehouseApp.OrdersClient, """{"scopes":["orders.read"]}""");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("client_from_configuration", (await response.ReadJsonAsync()).GetProperty("code").GetString());
        await fixture.App.CreateClient().GetAccessTokenAsync(GatehouseApp.OrdersClient, GatehouseApp.OrdersSecret, "images.read");
    }

    [Theory]
    [InlineData("nobody")]
    [InlineData("bad%20id")]
    public async Task Patch_OfAnUnknownClient_Answers404(string clientId)
    {
        var admin = AdminApi.Console(fixture.App);

        using var response = await PatchAsync(admin, clientId, """{"display_name":"x"}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("client_not_found", (await response.ReadJsonAsync()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Patch_GivingAnAdminScopeTheCallerLacks_Answers403_AndChangesNothing()
    {
        var admin = AdminApi.Console(fixture.App);
        var clientsOnly = new AdminApi(fixture.App.CreateClient(), AdminFixture.ClientsAdmin, AdminFixture.ClientsAdminSecret);
        var (clientId, _) = await admin.CreateServiceClientAsync("escalate-patch");
        var (before, tag) = await ReadAsync(admin, clientId);

        using var response = await PatchAsync(clientsOnly, clientId, """{"scopes":["gatehouse:admin"]}""");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("admin_scope_not_held", (await response.ReadJsonAsync()).GetProperty("code").GetString());
        await AssertUnchangedAsync(admin, clientId, before, tag);
    }

    private static async Task<string> CreateSpaAsync(AdminApi admin, string name)
    {
        var clientId = AdminApi.NewClientId(name);
        (await admin.PostAsync("/admin/clients", AdminApi.SpaClient(clientId, $"https://{clientId}.example/cb", $"https://{clientId}.example/out")))
            .EnsureSuccessStatusCode();
        return clientId;
    }

    /// <summary>The client as GET shows it, and its ETag.</summary>
    private static async Task<(JsonElement Client, string ETag)> ReadAsync(AdminApi admin, string clientId)
    {
        using var response = await admin.GetAsync($"/admin/clients/{clientId}");
        var etag = response.Headers.ETag;
        Assert.NotNull(etag);
        Assert.False(etag.IsWeak);
        return (await AdminApi.ExpectAsync(response, HttpStatusCode.OK), etag.Tag);
    }

    private static async Task AssertUnchangedAsync(AdminApi admin, string clientId, JsonElement before, string tag)
    {
        var (after, tagAfter) = await ReadAsync(admin, clientId);
        Assert.Equal(before.GetRawText(), after.GetRawText());
        Assert.Equal(tag, tagAfter);
    }

    private async Task<HttpResponseMessage> PatchAsync(AdminApi admin, string clientId, string json, string contentType = MergePatch, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/admin/clients/{clientId}")
        {
            Content = new StringContent(json, Encoding.UTF8, contentType),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType) { CharSet = "utf-8" };
        request.Headers.Authorization = new("Bearer", await admin.TokenAsync());
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await fixture.App.CreateClient().SendAsync(request, Cancel);
    }
}
