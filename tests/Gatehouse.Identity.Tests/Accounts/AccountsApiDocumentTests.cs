using System.Net;
using System.Text.Json;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Accounts;

public sealed class AccountsApiDocumentTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    private readonly HttpClient _http = fixture.App.CreateClient();

    [Fact]
    public async Task OpenApiDocument_DescribesEveryAccountEndpoint_AndNothingElse()
    {
        using var response = await _http.GetAsync("/openapi/accounts.json", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).Order().ToArray();
        Assert.Equal(
            new[]
            {
                "/auth/change-email", "/auth/confirm-email", "/auth/confirm-email-change", "/auth/confirm-reset", "/auth/delete-account",
                "/auth/logout", "/auth/profile", "/auth/refresh-tokens", "/auth/reset-password", "/auth/send-code", "/auth/sessions",
                "/auth/sessions/{sessionId}", "/auth/sign-in", "/auth/sign-up", "/auth/update-password",
            },
            paths);
        var signIn = document.GetProperty("paths").GetProperty("/auth/sign-in").GetProperty("post");
        Assert.True(signIn.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.True(signIn.GetProperty("responses").TryGetProperty("200", out _));
        Assert.True(signIn.GetProperty("responses").TryGetProperty("429", out _));
        Assert.True(document.GetProperty("paths").GetProperty("/auth/update-password").TryGetProperty("patch", out _));

        var headers = signIn.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToArray();
        Assert.Contains("X-Client-Id", headers);
        Assert.Contains("X-Client-Secret", headers);
        Assert.DoesNotContain("Authorization", headers);
        var logout = document.GetProperty("paths").GetProperty("/auth/logout").GetProperty("post");
        Assert.Contains("Authorization", logout.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        foreach (var path in new[] { "/auth/change-email", "/auth/confirm-email-change" })
        {
            var post = document.GetProperty("paths").GetProperty(path).GetProperty("post");
            Assert.Contains("Authorization", post.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
            Assert.True(post.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
            Assert.True(post.GetProperty("responses").TryGetProperty("429", out _));
        }

        var changeEmail = document.GetProperty("paths").GetProperty("/auth/change-email").GetProperty("post");
        Assert.True(changeEmail.GetProperty("responses").TryGetProperty("202", out _));
        var confirmChange = document.GetProperty("paths").GetProperty("/auth/confirm-email-change").GetProperty("post");
        Assert.True(confirmChange.GetProperty("responses").TryGetProperty("200", out _));
        Assert.True(confirmChange.GetProperty("responses").TryGetProperty("409", out _));

        var sessions = document.GetProperty("paths").GetProperty("/auth/sessions");
        Assert.True(sessions.TryGetProperty("get", out _));
        Assert.True(sessions.TryGetProperty("delete", out _));
        var endOne = document.GetProperty("paths").GetProperty("/auth/sessions/{sessionId}").GetProperty("delete");
        Assert.Contains("Authorization", endOne.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()));

        var profile = document.GetProperty("paths").GetProperty("/auth/profile");
        foreach (var operation in new[] { profile.GetProperty("get"), profile.GetProperty("patch") })
        {
            Assert.Contains("Authorization", operation.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
            Assert.True(operation.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("application/json", out _));
            Assert.True(operation.GetProperty("responses").TryGetProperty("401", out _));
        }

        var patchContent = profile.GetProperty("patch").GetProperty("requestBody").GetProperty("content");
        Assert.True(patchContent.TryGetProperty("application/merge-patch+json", out _));
        Assert.True(patchContent.TryGetProperty("application/json", out _));
        Assert.True(profile.GetProperty("patch").GetProperty("responses").TryGetProperty("409", out _));
    }

    [Fact]
    public async Task Scalar_ServesTheApiReference()
    {
        using var response = await _http.GetAsync("/scalar", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("openapi/accounts.json", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
