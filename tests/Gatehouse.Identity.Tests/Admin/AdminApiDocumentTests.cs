using System.Net;
using System.Text.Json;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Gatehouse.Identity.Tests.Admin;

public sealed class AdminApiDocumentTests(GatehouseFixture fixture) : IClassFixture<GatehouseFixture>
{
    [Fact]
    public async Task OpenApiDocument_DescribesTheClientAndKeyEndpoints_WithTheBearerRequirement()
    {
        using var response = await fixture.App.CreateClient().GetAsync("/openapi/admin.json", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        var paths = document.GetProperty("paths");
        foreach (var (path, method) in new[]
                 {
                     ("/admin/clients", "get"), ("/admin/clients", "post"), ("/admin/clients/{clientId}", "get"),
                     ("/admin/clients/{clientId}", "put"), ("/admin/clients/{clientId}", "patch"), ("/admin/clients/{clientId}", "delete"),
                     ("/admin/clients/{clientId}/secret", "post"), ("/admin/keys", "get"), ("/admin/keys/rotate", "post"),
                 })
        {
            Assert.True(paths.TryGetProperty(path, out var item) && item.TryGetProperty(method, out _), $"{method} {path} is missing");
            var operation = item.GetProperty(method);
            Assert.True(operation.GetProperty("responses").TryGetProperty("401", out _), $"{method} {path} does not mention 401");
            Assert.True(operation.GetProperty("responses").TryGetProperty("403", out _), $"{method} {path} does not mention 403");
            Assert.Contains("gatehouse:admin", operation.GetProperty("description").GetString());
        }

        Assert.All(paths.EnumerateObject(), path => Assert.StartsWith("/admin/", path.Name));
        Assert.Contains("page_token", paths.GetProperty("/admin/clients").GetProperty("get").GetProperty("description").GetString());
        var create = paths.GetProperty("/admin/clients").GetProperty("post");
        Assert.True(create.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.True(create.GetProperty("responses").TryGetProperty("409", out _));

        var patch = paths.GetProperty("/admin/clients/{clientId}").GetProperty("patch");
        Assert.True(patch.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/merge-patch+json", out _));
        Assert.True(patch.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        foreach (var status in new[] { "400", "404", "409", "412", "413" })
        {
            Assert.True(patch.GetProperty("responses").TryGetProperty(status, out _), $"PATCH does not mention {status}");
        }

        foreach (var method in new[] { "put", "patch" })
        {
            var change = paths.GetProperty("/admin/clients/{clientId}").GetProperty(method);
            Assert.Contains(change.GetProperty("parameters").EnumerateArray(),
                parameter => parameter.GetProperty("name").GetString() == "If-Match" && parameter.GetProperty("in").GetString() == "header");
            Assert.True(change.GetProperty("responses").GetProperty("200").GetProperty("headers").TryGetProperty("ETag", out _), $"{method} does not name its ETag");
        }

        Assert.True(paths.GetProperty("/admin/clients/{clientId}").GetProperty("get").GetProperty("responses").GetProperty("200")
            .GetProperty("headers").TryGetProperty("ETag", out _));

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        Assert.True(document.GetProperty("security")[0].TryGetProperty("bearer", out _));
    }
}

/// <summary>The admin document in the Scalar API reference, in a real Chromium.</summary>
public sealed class AdminApiReferenceBrowserTests(BrowserSession session) : IClassFixture<BrowserSession>
{
    [Fact]
    public async Task Scalar_RendersTheAdminOperations_WithoutPolicyViolations()
    {
        await using var tab = await session.OpenAsync();

        // Generous waits: the shared test machine can be very busy, and nothing here measures speed.
        var response = await tab.Page.GotoAsync("/scalar/admin", new() { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = 90_000 });

        Assert.Equal(200, response!.Status);
        await tab.Page.GetByText("Register a client").First.WaitForAsync(new() { Timeout = 90_000 });
        await tab.Page.GetByText("Signing keys").First.WaitForAsync(new() { Timeout = 90_000 });
        Assert.DoesNotContain(tab.ConsoleErrors, error => error.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase));
    }
}
