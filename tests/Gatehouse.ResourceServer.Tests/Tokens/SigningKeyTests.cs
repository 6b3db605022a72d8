using System.Net;
using Gatehouse.ResourceServer.Tests.Infrastructure;

namespace Gatehouse.ResourceServer.Tests.Tokens;

/// <summary>How the kit follows the authority's keys: rotation, withdrawal, and floods of unknown key ids.</summary>
public sealed class SigningKeyTests : IAsyncLifetime
{
    private TestAuthority _authority = null!;

    public async ValueTask InitializeAsync() => _authority = await TestAuthority.StartAsync();

    private Task<ResourceServerHost> StartServiceAsync(TimeSpan? unknownKeyInterval = null) =>
        ResourceServerHost.StartTrustingAsync(_authority, o => o.UnknownKeyRefreshInterval = unknownKeyInterval ?? TimeSpan.FromSeconds(10));

    [Fact]
    public async Task KeyRotation_UnderLoad_FailsNoRequest()
    {
        await using var service = await StartServiceAsync();
        var oldKey = _authority.CurrentKey;
        using (var warm = await service.GetAsync("/whoami", _authority.Issue()))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        // Requests signed with the old key keep flowing while the authority publishes a new key and
        // starts signing with it; tokens of both keys stay valid throughout.
        var statuses = new List<HttpStatusCode>();
        var requests = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < 60; i++)
        {
            if (i == 20)
            {
                _authority.Publish(TestAuthority.NewKey());
            }

            var key = i % 2 == 0 ? oldKey : _authority.CurrentKey;
            requests.Add(service.GetAsync("/whoami", _authority.Issue(key: key)));
        }

        foreach (var response in await Task.WhenAll(requests))
        {
            statuses.Add(response.StatusCode);
            response.Dispose();
        }

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.NotEqual(oldKey.KeyId, _authority.CurrentKey.KeyId);
    }

    [Fact]
    public async Task FloodOfUnknownKeyIds_ReadsTheKeysAtMostOnceMore()
    {
        await using var service = await StartServiceAsync(TimeSpan.FromHours(1));
        using (var warm = await service.GetAsync("/whoami", _authority.Issue()))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var readsBefore = _authority.JwksReads;
        var requests = Enumerable.Range(0, 50).Select(_ => service.GetAsync("/whoami", _authority.Issue(key: TestAuthority.NewKey())));
        foreach (var response in await Task.WhenAll(requests))
        {
            await AccessTokenValidationTests.AssertRefusedAsync(response, "unknown_signing_key");
        }

        Assert.InRange(_authority.JwksReads - readsBefore, 0, 1);
    }

    [Fact]
    public async Task WithdrawnKey_NoLongerVouchesForTokensAlreadyAccepted()
    {
        await using var service = await StartServiceAsync(TimeSpan.FromSeconds(1));
        var compromised = _authority.CurrentKey;
        var token = _authority.Issue();
        using (var accepted = await service.GetAsync("/whoami", token))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        _authority.Publish(TestAuthority.NewKey());
        _authority.Withdraw(compromised);
        // The first token signed with the new key makes the kit read the keys again.
        using (var next = await service.GetAsync("/whoami", _authority.Issue()))
        {
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        }

        await AccessTokenValidationTests.AssertRefusedAsync(await service.GetAsync("/whoami", token), "unknown_signing_key");
    }

    [Fact]
    public async Task AuthorityThatCannotBeReached_IsAnsweredWith503()
    {
        var address = _authority.Address;
        var token = _authority.Issue();
        await _authority.DisposeAsync();
        await using var service = await ResourceServerHost.StartAsync(o =>
        {
            o.Authority = address;
            o.Audience = TestAuthority.Audience;
            o.RequireHttpsMetadata = false;
            o.Revocation.Disabled = true;
        });

        await AccessTokenValidationTests.AssertRefusedAsync(await service.GetAsync("/whoami", token), "authority_unavailable", HttpStatusCode.ServiceUnavailable);
    }

    public async ValueTask DisposeAsync() => await _authority.DisposeAsync();
}
