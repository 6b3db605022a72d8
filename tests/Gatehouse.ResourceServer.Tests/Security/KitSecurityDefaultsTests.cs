using System.Net;
using System.Security.Cryptography;
using Gatehouse.ResourceServer.Tests.Infrastructure;
using Gatehouse.ResourceServer.Tests.Tokens;

namespace Gatehouse.ResourceServer.Tests.Security;

/// <summary>
/// The kit's part of ARCHITECTURE.md's security defaults: an <c>alg</c> allow-list and the <c>typ</c>
/// check, each shown on a token that is genuine in every other respect (the identity service's own
/// defaults are in <c>Gatehouse.Identity.Tests.Security.SecurityDefaultsTests</c>).
/// </summary>
public sealed class KitSecurityDefaultsTests : IAsyncLifetime
{
    private TestAuthority _authority = null!;
    private ResourceServerHost _service = null!;

    public async ValueTask InitializeAsync()
    {
        _authority = await TestAuthority.StartAsync();
        _service = await ResourceServerHost.StartTrustingAsync(_authority);
    }

    [Fact]
    public async Task OnlyAllowListedAlgorithms_AreAccepted()
    {
        var genuine = _authority.Issue();
        Assert.Equal(HttpStatusCode.OK, (await _service.GetAsync("/whoami", genuine)).StatusCode);

        var payload = TestAuthority.PayloadOf(genuine);
        var kid = _authority.CurrentKey.KeyId;
        var unsigned = TestAuthority.Forge(new { alg = "none", typ = "at+jwt", kid }, payload);
        var hmac = TestAuthority.Forge(new { alg = "HS256", typ = "at+jwt", kid }, payload,
            input => HMACSHA256.HashData(_authority.CurrentKey.ECDsa.ExportSubjectPublicKeyInfo(), input));

        await AccessTokenValidationTests.AssertRefusedAsync(await _service.GetAsync("/whoami", unsigned), "disallowed_algorithm");
        await AccessTokenValidationTests.AssertRefusedAsync(await _service.GetAsync("/whoami", hmac), "disallowed_algorithm");
    }

    [Fact]
    public async Task OnlyAtJwtTyped_TokensAreAccepted()
    {
        // Signed by the authority's real key: only the type is wrong (an ID token is a plain JWT).
        foreach (var type in new[] { "JWT", "id_token+jwt", "logout+jwt" })
        {
            await AccessTokenValidationTests.AssertRefusedAsync(await _service.GetAsync("/whoami", _authority.Issue(type: type)), "wrong_token_type");
        }

        Assert.Equal(HttpStatusCode.OK, (await _service.GetAsync("/whoami", _authority.Issue(type: "at+jwt"))).StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        await _service.DisposeAsync();
        await _authority.DisposeAsync();
    }
}
