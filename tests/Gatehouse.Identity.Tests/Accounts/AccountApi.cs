using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Tests.Accounts;

/// <summary>Calls the account API as a first-party client would.</summary>
public sealed class AccountApi(HttpClient http, string clientId = GatehouseApp.WebAppClient, string? secret = GatehouseApp.WebAppSecret)
{
    public HttpClient Http => http;

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? bearer = null, string? rawJson = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-Client-Id", clientId);
        if (secret is not null)
        {
            request.Headers.Add("X-Client-Secret", secret);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new("Bearer", bearer);
        }

        if (rawJson is not null)
        {
            request.Content = new StringContent(rawJson, Encoding.UTF8, "application/json");
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public Task<HttpResponseMessage> PostAsync(string path, object? body = null, string? bearer = null) =>
        SendAsync(HttpMethod.Post, path, body, bearer);

    public async Task<Pair> SignInAsync(string email, string password)
    {
        using var response = await PostAsync("/auth/sign-in", new { email, password });
        return await ReadPairAsync(response);
    }

    public async Task<Pair> RefreshAsync(string refreshToken)
    {
        using var response = await PostAsync("/auth/refresh-tokens", new { refresh_token = refreshToken });
        return await ReadPairAsync(response);
    }

    public static async Task<Pair> ReadPairAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"expected a token pair, got {(int)response.StatusCode}: {body}");
        var json = JsonDocument.Parse(body).RootElement;
        return new Pair(json.GetProperty("access_token").GetString()!, json.GetProperty("refresh_token").GetString()!);
    }

    /// <summary>Asserts a problem-details answer and returns its code.</summary>
    public static async Task<string> ProblemCodeAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, json.GetProperty("status").GetInt32());
        return json.GetProperty("code").GetString()!;
    }

    /// <summary>The body of a problem without its per-request trace id, to compare two answers.</summary>
    public static async Task<string> WithoutTraceIdAsync(HttpResponseMessage response)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!.AsObject();
        json.Remove("traceId");
        return json.ToJsonString();
    }

    /// <summary>The audit events of a user (of one type, if given), newest first, once everything recorded is stored.</summary>
    public static async Task<IReadOnlyList<Gatehouse.Identity.Data.Accounts.AuditEvent>> AuditAsync(GatehouseApp app, Guid userId, string? type = null)
    {
        var audit = app.Services.GetRequiredService<Gatehouse.Identity.Audit.AuditLog>();
        await audit.FlushAsync(TestContext.Current.CancellationToken);
        return await audit.QueryAsync(new Gatehouse.Identity.Audit.AuditQuery(UserId: userId, Type: type), TestContext.Current.CancellationToken);
    }

    /// <summary>Creates a confirmed, active user directly, for flows that start from an existing account.</summary>
    public static async Task<GatehouseUser> CreateUserAsync(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> app, string email, string password)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<GatehouseUser>>();
        var user = new GatehouseUser { UserName = email, Email = email, EmailConfirmed = true, LockoutEnabled = true };
        var created = await users.CreateAsync(user, password);
        Assert.True(created.Succeeded, string.Join("; ", created.Errors.Select(e => e.Description)));
        return user;
    }

    public static string NewEmail() => $"user-{Guid.NewGuid():N}@example.com";
}

public sealed record Pair(string AccessToken, string RefreshToken);
