using System.Net;
using Gatehouse.Identity.Data.Users;
using Gatehouse.Identity.Passwords;
using Gatehouse.Identity.Tests.Accounts;
using Gatehouse.Identity.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Identity.Tests.Passwords;

public sealed class PasswordHasherBusyTests
{
    [Fact]
    public async Task SignIn_WhenEveryHashingSlotIsBusy_Answers503WithRetryAfter_NotA500()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var app = new GatehouseApp(storage, new Dictionary<string, string?>
        {
            ["Gatehouse:Passwords:Hashing:MaxConcurrent"] = "1",
            ["Gatehouse:Passwords:Hashing:QueueTimeout"] = "00:00:00.200",
        });
        var api = new AccountApi(app.CreateClient());
        var hasher = Assert.IsType<Argon2PasswordHasher>(app.Services.GetRequiredService<IPasswordHasher<GatehouseUser>>());
        hasher.Slots.Wait(TestContext.Current.CancellationToken);
        try
        {
            using var response = await api.PostAsync("/auth/sign-in", new { email = AccountApi.NewEmail(), password = "a long and memorable passphrase" });

            Assert.Equal("service_busy", await AccountApi.ProblemCodeAsync(response, HttpStatusCode.ServiceUnavailable));
            Assert.Equal("1", response.Headers.RetryAfter?.ToString());
        }
        finally
        {
            hasher.Slots.Release();
        }

        using var after = await api.PostAsync("/auth/sign-in", new { email = AccountApi.NewEmail(), password = "a long and memorable passphrase" });
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }
}
