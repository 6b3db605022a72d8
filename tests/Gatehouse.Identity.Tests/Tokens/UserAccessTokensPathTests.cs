using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Connect;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Security;
using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Infrastructure;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Gatehouse.Identity.Tests.Tokens;

/// <summary>
/// When the account API may write its tokens directly, and what it does when it may not: OpenIddict
/// makes them, as it always did, and they are accepted just the same.
/// </summary>
public sealed class UserAccessTokensPathTests
{
    private const string Password = "harbour-lantern-quartz-4471";
    private const string ReferenceClient = "reference-app";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SigningKeyRotation_NewTokensCarryTheNewKid_AndAreAccepted()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = new GatehouseApp(storage);
        var http = app.CreateClient();
        var (before, _) = await SignInAsync(app, http);

        string rotated;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            rotated = (await app.Services.GetRequiredService<ServerKeyRing>()
                .RotateSigningKeyAsync(scope.ServiceProvider.GetRequiredService<GatehouseDbContext>(), Cancel)).Id;
        }

        await app.Services.GetRequiredService<ISigningKeyChanges>().PublishAsync(Cancel);
        using var counter = new GrantCounter(app.Services, TokenMetrics.AccountTokensInstrument);
        var (after, userId) = await SignInAsync(app, http);

        Assert.Equal(1, counter.Fast);
        Assert.NotEqual(ProtocolClient.Read(before).Kid, rotated);
        Assert.Equal(rotated, ProtocolClient.Read(after).Kid);
        await UserAccessTokensTests.AssertAcceptedAsync(http, after, userId);
        await AssertValidAgainstPublishedKeysAsync(http, after);
    }

    [Fact]
    public async Task AccessTokenEncryption_LeavesTheTokensToOpenIddict_AndTheyAreAccepted()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var baseNode = new GatehouseApp(storage);
        await using var node = baseNode.WithWebHostBuilder(host => host.ConfigureTestServices(services =>
            services.AddOpenIddict().AddServer(server => server.Configure(options => options.DisableAccessTokenEncryption = false))));
        var state = node.Services.GetRequiredService<AccountTokensFastPathState>();
        Assert.False(state.IsActive);
        Assert.Contains(state.Reasons, reason => reason.Contains("not plain signed JWTs"));

        using var counter = new GrantCounter(node.Services, TokenMetrics.AccountTokensInstrument);
        var http = node.CreateClient();
        var (token, userId) = await SignInAsync(node, http);

        Assert.Equal((0, 1), (counter.Fast, counter.Standard));
        Assert.Equal(5, token.Split('.').Length); // a JWE: OpenIddict encrypted it
        await UserAccessTokensTests.AssertAcceptedAsync(http, token, userId);
    }

    [Fact]
    public async Task UnknownTokenGenerationHandler_SwitchesTheDirectPathOffWithAWarning_AndTheHandlerRuns()
    {
        await using var storage = await TestStorage.CreateAsync();
        var log = new CapturingLogger<AccountTokensFastPathState>();
        var handled = 0;
        await using var baseNode = new GatehouseApp(storage);
        await using var node = baseNode.WithWebHostBuilder(host => host.ConfigureTestServices(services =>
        {
            services.AddSingleton<ILogger<AccountTokensFastPathState>>(log);
            services.AddOpenIddict().AddServer(server => server.AddEventHandler<GenerateTokenContext>(handler =>
                handler.UseInlineHandler(context =>
                {
                    if (context.TokenType == OpenIddict.Abstractions.OpenIddictConstants.TokenTypeIdentifiers.AccessToken)
                    {
                        Interlocked.Increment(ref handled);
                    }

                    return default;
                })));
        }));
        _ = node.Server;

        var state = node.Services.GetRequiredService<AccountTokensFastPathState>();
        Assert.False(state.IsActive);
        Assert.Contains(state.Reasons, reason => reason.Contains(nameof(GenerateTokenContext)));
        Assert.Contains(log.Entries, entry => entry.Level == LogLevel.Warning && entry.EventId.Id == 1205);

        using var counter = new GrantCounter(node.Services, TokenMetrics.AccountTokensInstrument);
        var http = node.CreateClient();
        var (token, userId) = await SignInAsync(node, http);

        Assert.Equal((0, 1), (counter.Fast, counter.Standard));
        Assert.Equal(1, handled);
        await UserAccessTokensTests.AssertAcceptedAsync(http, token, userId);
    }

    [Fact]
    public async Task SwitchedOff_TokensComeFromOpenIddict_AndTheClientCredentialsFastPathStaysOn()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var node = new GatehouseApp(storage, new Dictionary<string, string?> { [TokenOptions.AccountTokensFastPathKey] = "false" });
        var state = node.Services.GetRequiredService<AccountTokensFastPathState>();
        Assert.False(state.IsActive);
        Assert.Equal([$"{TokenOptions.AccountTokensFastPathKey} is false"], state.Reasons);
        Assert.True(node.Services.GetRequiredService<ClientCredentialsFastPathState>().IsActive);

        using var counter = new GrantCounter(node.Services, TokenMetrics.AccountTokensInstrument);
        var http = node.CreateClient();
        var (token, userId) = await SignInAsync(node, http);

        Assert.Equal((0, 1), (counter.Fast, counter.Standard));
        await UserAccessTokensTests.AssertAcceptedAsync(http, token, userId);
    }

    [Theory]
    [InlineData("switched off")]
    [InlineData("refused for a token-response handler")]
    public async Task ClientCredentialsFastPathNotRunning_LeavesAccountTokensDirect(string why)
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var baseNode = new GatehouseApp(storage, why == "switched off"
            ? new Dictionary<string, string?> { [TokenOptions.ClientCredentialsFastPathKey] = "false" }
            : null);
        await using var node = baseNode.WithWebHostBuilder(host => host.ConfigureTestServices(services =>
        {
            if (why != "switched off")
            {
                services.AddOpenIddict().AddServer(server => server.AddEventHandler<ApplyTokenResponseContext>(handler =>
                    handler.UseInlineHandler(_ => default)));
            }
        }));
        Assert.False(node.Services.GetRequiredService<ClientCredentialsFastPathState>().IsActive);
        Assert.True(node.Services.GetRequiredService<AccountTokensFastPathState>().IsActive);

        using var counter = new GrantCounter(node.Services, TokenMetrics.AccountTokensInstrument);
        var http = node.CreateClient();
        var (token, userId) = await SignInAsync(node, http);

        Assert.Equal((1, 0), (counter.Fast, counter.Standard));
        await UserAccessTokensTests.AssertAcceptedAsync(http, token, userId);
    }

    [Fact]
    public async Task ClientReceivingReferenceTokens_GetsOpenIddictsReferenceToken()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var node = new GatehouseApp(storage, new Dictionary<string, string?>
        {
            [$"Gatehouse:Clients:{ReferenceClient}:Type"] = "public",
            [$"Gatehouse:Clients:{ReferenceClient}:FirstParty"] = "true",
            [$"Gatehouse:Clients:{ReferenceClient}:AllowAccountsApi"] = "true",
            [$"Gatehouse:Clients:{ReferenceClient}:Scopes:0"] = "images.read",
            [$"Gatehouse:Clients:{ReferenceClient}:AccessTokenFormat"] = "reference",
        });
        Assert.True(node.Services.GetRequiredService<AccountTokensFastPathState>().IsActive);

        using var counter = new GrantCounter(node.Services, TokenMetrics.AccountTokensInstrument);
        var http = node.CreateClient();
        var (token, _) = await SignInAsync(node, http, ReferenceClient, secret: null);

        Assert.Equal((0, 1), (counter.Fast, counter.Standard));
        Assert.DoesNotContain('.', token);
        using var profile = await new AccountApi(http, ReferenceClient, secret: null).SendAsync(HttpMethod.Get, "/auth/profile", bearer: token);
        Assert.True(profile.IsSuccessStatusCode, $"the account API refused the reference token: {(int)profile.StatusCode}");
        Assert.True(await http.IsActiveAsync(token), "introspection says the reference token is not active");
    }

    private static async Task<(string Token, Guid UserId)> SignInAsync(
        WebApplicationFactory<Program> app, HttpClient http, string clientId = GatehouseApp.WebAppClient, string? secret = GatehouseApp.WebAppSecret)
    {
        var email = AccountApi.NewEmail();
        var user = await AccountApi.CreateUserAsync(app, email, Password);
        var pair = await new AccountApi(http, clientId, secret).SignInAsync(email, Password);
        return (pair.AccessToken, user.Id);
    }

    private static async Task AssertValidAgainstPublishedKeysAsync(HttpClient http, string token)
    {
        var jwks = await http.GetStringAsync("/.well-known/jwks", Cancel);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = new JsonWebKeySet(jwks).GetSigningKeys(),
            ValidIssuer = "http://localhost/",
            ValidAudience = "images-api",
            ValidTypes = ["at+jwt"],
        });

        Assert.True(result.IsValid, $"the token does not validate against the published keys: {result.Exception?.Message}");
    }
}
