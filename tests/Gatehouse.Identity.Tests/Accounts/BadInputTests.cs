using System.Net;
using System.Text;
using System.Text.Json;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Identity.Tests.Accounts;

public sealed class BadInputTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private readonly AccountApi _api = new(fixture.App.CreateClient());

    /// <summary>Every endpoint with a body, with one valid body each.</summary>
    public static TheoryData<string, string, string> Endpoints => new()
    {
        { "POST", "/auth/sign-up", """{"email":"a@example.com","password":"long-enough-password-1"}""" },
        { "POST", "/auth/send-code", """{"flow_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301"}""" },
        { "POST", "/auth/confirm-email", """{"flow_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","code":"123456"}""" },
        { "POST", "/auth/sign-in", """{"email":"a@example.com","password":"long-enough-password-1"}""" },
        { "POST", "/auth/reset-password", """{"email":"a@example.com"}""" },
        { "POST", "/auth/confirm-reset", """{"flow_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","code":"123456","new_password":"long-enough-password-1"}""" },
        { "PATCH", "/auth/update-password", """{"current_password":"long-enough-password-1","new_password":"long-enough-password-2"}""" },
        { "POST", "/auth/refresh-tokens", """{"refresh_token":"abc"}""" },
        { "POST", "/auth/delete-account", """{"password":"long-enough-password-1"}""" },
        { "POST", "/auth/change-email", """{"new_email":"a@example.com","password":"long-enough-password-1"}""" },
        { "POST", "/auth/confirm-email-change", """{"flow_id":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","code":"123456"}""" },
    };

    /// <summary>Endpoints whose body is a patch, where every member may be left out.</summary>
    public static TheoryData<string, string, string> PatchEndpoints => new()
    {
        { "PATCH", "/auth/profile", """{"display_name":"Ada"}""" },
    };

    private Task<HttpResponseMessage> SendRawAsync(string method, string path, string json) =>
        _api.SendAsync(new HttpMethod(method), path, rawJson: json);

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement;
    }

    private static void AssertNames(JsonElement problem, string field)
    {
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _), $"the problem does not name '{field}': {problem}");
        Assert.Contains(field, problem.GetProperty("detail").GetString());
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    [MemberData(nameof(PatchEndpoints))]
    public async Task MalformedJson_IsA400Problem(string method, string path, string _)
    {
        foreach (var json in new[] { "{", "{\"email\":}", "[]", "null", "\"text\"", "{\"a\":1,}", "{'email':'x'}" })
        {
            using var response = await SendRawAsync(method, path, json);
            var problem = await ProblemAsync(response);
            Assert.Equal("invalid_request", problem.GetProperty("code").GetString());
        }
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task EveryMissingField_IsNamed(string method, string path, string valid)
    {
        var fields = JsonDocument.Parse(valid).RootElement.EnumerateObject().Select(p => p.Name).ToList();
        foreach (var missing in fields)
        {
            var body = JsonSerializer.Serialize(JsonDocument.Parse(valid).RootElement.EnumerateObject()
                .Where(p => p.Name != missing).ToDictionary(p => p.Name, p => p.Value));
            using var response = await SendRawAsync(method, path, body);
            AssertNames(await ProblemAsync(response), missing);
        }
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    [MemberData(nameof(PatchEndpoints))]
    public async Task EveryFieldWithTheWrongType_IsNamed(string method, string path, string valid)
    {
        foreach (var field in JsonDocument.Parse(valid).RootElement.EnumerateObject().Select(p => p.Name))
        {
            foreach (var wrong in new[] { "42", "true", "{}", "[\"x\"]" })
            {
                var body = valid.Replace($"\"{field}\":\"", $"\"{field}\":{wrong},\"_\":\"", StringComparison.Ordinal);
                body = System.Text.RegularExpressions.Regex.Replace(body, ",\"_\":\"[^\"]*\"", "");
                using var response = await SendRawAsync(method, path, body);
                AssertNames(await ProblemAsync(response), field);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    [MemberData(nameof(PatchEndpoints))]
    public async Task UnknownAndRepeatedMembers_AreRefused(string method, string path, string valid)
    {
        using var unknown = await SendRawAsync(method, path, valid.TrimEnd('}') + ",\"is_admin\":true}");
        AssertNames(await ProblemAsync(unknown), "is_admin");

        var first = JsonDocument.Parse(valid).RootElement.EnumerateObject().First();
        using var repeated = await SendRawAsync(method, path, valid.TrimEnd('}') + $",\"{first.Name}\":{first.Value.GetRawText()}}}");
        Assert.Equal("invalid_request", (await ProblemAsync(repeated)).GetProperty("code").GetString());
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    [MemberData(nameof(PatchEndpoints))]
    public async Task OversizedBodies_Are413Problems(string method, string path, string _)
    {
        var huge = "{\"email\":\"" + new string('a', 64 * 1024) + "@example.com\"}";
        using var response = await SendRawAsync(method, path, huge);
        Assert.Equal("payload_too_large", (await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge)).GetProperty("code").GetString());
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    [MemberData(nameof(PatchEndpoints))]
    public async Task NonJsonBodies_Are415Problems(string method, string path, string valid)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(valid, Encoding.UTF8, "text/plain") };
        request.Headers.Add("X-Client-Id", GatehouseApp.WebAppClient);
        request.Headers.Add("X-Client-Secret", GatehouseApp.WebAppSecret);
        using var response = await _api.Http.SendAsync(request, TestContext.Current.CancellationToken);
        await ProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("not-an-email")]
    [InlineData("two@@example.com")]
    [InlineData("Someone <a@example.com>")]
    [InlineData(" a@example.com")]
    [InlineData("a@exa mple.com")]
    [InlineData("a\u0000b@example.com")]
    [InlineData("\ud800@example.com")]
    [InlineData("jürgen@example.com")]
    [InlineData("ada@bücher.example")]
    [InlineData("")]
    public async Task InvalidEmails_AreNamed_OnEveryEndpointThatTakesOne(string email)
    {
        foreach (var path in new[] { "/auth/sign-up", "/auth/sign-in" })
        {
            using var response = await _api.PostAsync(path, new { email, password = "long-enough-password-1" });
            AssertNames(await ProblemAsync(response), "email");
        }

        using var reset = await _api.PostAsync("/auth/reset-password", new { email });
        AssertNames(await ProblemAsync(reset), "email");
        using var change = await _api.PostAsync("/auth/change-email", new { new_email = email, password = "long-enough-password-1" });
        AssertNames(await ProblemAsync(change), "new_email");
    }

    [Fact]
    public async Task OverlongFields_AreNamed()
    {
        using var longEmail = await _api.PostAsync("/auth/sign-in", new { email = new string('a', 250) + "@example.com", password = "long-enough-password-1" });
        AssertNames(await ProblemAsync(longEmail), "email");
        using var longPassword = await _api.PostAsync("/auth/sign-in", new { email = "a@example.com", password = new string('p', 1025) });
        AssertNames(await ProblemAsync(longPassword), "password");
        using var longName = await _api.PostAsync("/auth/sign-up", new { email = "a@example.com", password = "long-enough-password-1", display_name = new string('n', 101) });
        AssertNames(await ProblemAsync(longName), "display_name");
    }

    [Theory]
    [InlineData("\"\\ud800\"")]
    [InlineData("\"\\udc00abc\"")]
    [InlineData("\"abc\\u0007\"")]
    [InlineData("\"\\u2028\"")]
    public async Task UnicodeEdgeCases_AreNamed_AndCreateNoUser(string displayName)
    {
        var email = AccountApi.NewEmail();
        using var response = await SendRawAsync("POST", "/auth/sign-up",
            $"{{\"email\":\"{email}\",\"password\":\"long-enough-password-1\",\"display_name\":{displayName}}}");

        AssertNames(await ProblemAsync(response), "display_name");
        await using var scope = fixture.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        Assert.False(await db.Users.AnyAsync(u => u.Email == email, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task InvalidUtf8_IsA400Problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/sign-in")
        {
            Content = new ByteArrayContent([.. "{\"email\":\""u8.ToArray(), 0xC3, 0x28, .. "@example.com\",\"password\":\"x\"}"u8.ToArray()]),
        };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-Client-Id", GatehouseApp.WebAppClient);
        request.Headers.Add("X-Client-Secret", GatehouseApp.WebAppSecret);
        using var response = await _api.Http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal("invalid_request", (await ProblemAsync(response)).GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("not-a-guid")]
    [InlineData("3f2504e04f8911d39a0c0305e82c3301")]
    [InlineData("{3f2504e0-4f89-11d3-9a0c-0305e82c3301}")]
    public async Task MalformedFlowIds_AreNamed(string flowId)
    {
        using var response = await _api.PostAsync("/auth/confirm-email", new { flow_id = flowId, code = "123456" });
        AssertNames(await ProblemAsync(response), "flow_id");
    }

    [Theory]
    [InlineData("12 34")]
    [InlineData("123456789012345678901234567890123")]
    [InlineData("１２３４５６")]
    public async Task MalformedCodes_AreNamed(string code)
    {
        using var response = await _api.PostAsync("/auth/confirm-reset", new { flow_id = Guid.NewGuid().ToString(), code, new_password = "long-enough-password-1" });
        AssertNames(await ProblemAsync(response), "code");
    }

    [Fact]
    public async Task MalformedRefreshTokens_AreNamed()
    {
        using var response = await _api.PostAsync("/auth/refresh-tokens", new { refresh_token = "has spaces and / slashes" });
        AssertNames(await ProblemAsync(response), "refresh_token");
    }
}
