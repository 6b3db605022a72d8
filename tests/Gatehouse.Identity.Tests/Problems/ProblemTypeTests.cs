using System.Net;
using System.Text;
using Gatehouse.Identity.Problems;
using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Infrastructure;

namespace Gatehouse.Identity.Tests.Problems;

/// <summary>A node with a client that may read the user feed.</summary>
public sealed class FeedReaderFixture : GatehouseFixture
{
    public const string Client = "feed-reader";
    public const string Secret = "feed-reader-secret-0000001";

    protected override IReadOnlyDictionary<string, string?> Overrides => new Dictionary<string, string?>
    {
        [$"Gatehouse:Clients:{Client}:Secret"] = Secret,
        [$"Gatehouse:Clients:{Client}:GrantTypes:0"] = "client_credentials",
        [$"Gatehouse:Clients:{Client}:Scopes:0"] = "gatehouse:events",
    };
}

/// <summary>Every problem the identity service answers has a type under one prefix and a code, whoever wrote it.</summary>
public sealed class ProblemTypeTests(FeedReaderFixture fixture) : IClassFixture<FeedReaderFixture>
{
    private async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(code, await AccountApi.ProblemCodeAsync(response, status));
        Assert.Equal(ProblemResponses.TypePrefix + code, (await response.ReadJsonAsync()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task RoutingsMethodNotAllowed_CarriesACode()
    {
        using var response = await fixture.App.CreateClient().GetAsync("/auth/sign-in", TestContext.Current.CancellationToken);

        await AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Fact]
    public async Task ABodyThatIsNotJson_IsUnsupportedMediaType_WithACode()
    {
        var api = new AccountApi(fixture.App.CreateClient());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/auth/sign-in") { Content = new StringContent("email=a", Encoding.UTF8, "text/plain") };
        request.Headers.Add("X-Client-Id", GatehouseApp.WebAppClient);
        request.Headers.Add("X-Client-Secret", GatehouseApp.WebAppSecret);

        using var response = await api.Http.SendAsync(request, TestContext.Current.CancellationToken);

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Fact]
    public async Task FeedProblems_UseTheSamePrefix()
    {
        var http = fixture.App.CreateClient();
        var token = await http.GetAccessTokenAsync(FeedReaderFixture.Client, FeedReaderFixture.Secret, "gatehouse:events");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/feeds/users");
        request.Headers.Authorization = new("Bearer", token);

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "missing_cursor");
    }

    [Fact]
    public async Task AccountErrors_KeepTheirTypes()
    {
        using var response = await new AccountApi(fixture.App.CreateClient(), secret: "not-the-secret").PostAsync("/auth/sign-in", new { email = "a@example.com", password = "x" });

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Equal(ProblemResponses.TypePrefix, Gatehouse.Identity.Accounts.AccountErrors.TypePrefix);
    }
}
