using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Gatehouse.ResourceServer.Tests.Infrastructure;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.ResourceServer.Tests.Tokens;

/// <summary>
/// The kit accepts genuine access tokens of its authority and refuses every forgery: tokens are
/// minted by a small authority on a real socket whose keys the tests hold.
/// </summary>
public sealed class AccessTokenValidationTests : IAsyncLifetime
{
    private TestAuthority _authority = null!;
    private ResourceServerHost _service = null!;

    public async ValueTask InitializeAsync()
    {
        _authority = await TestAuthority.StartAsync();
        _service = await ResourceServerHost.StartTrustingAsync(_authority);
    }

    [Fact]
    public async Task GenuineToken_IsAccepted_AndItsSubjectIsTheCaller()
    {
        using var response = await _service.GetAsync("/whoami", _authority.Issue());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("user-7", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task SameToken_PresentedAgain_IsStillAccepted()
    {
        var token = _authority.Issue();

        using var first = await _service.GetAsync("/whoami", token);
        using var second = await _service.GetAsync("/whoami", token);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Fact]
    public async Task NoToken_IsAnsweredWithABearerChallenge()
    {
        using var response = await _service.GetAsync("/whoami", null);

        await AssertRefusedAsync(response, "missing_token");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task AlgNone_IsRefused()
    {
        var payload = TestAuthority.PayloadOf(_authority.Issue());
        var token = TestAuthority.Forge(new { alg = "none", typ = "at+jwt", kid = _authority.CurrentKey.KeyId }, payload);

        await AssertRefusedAsync(await _service.GetAsync("/whoami", token), "disallowed_algorithm");
    }

    [Fact]
    public async Task Hs256SignedWithThePublicKey_IsRefused()
    {
        var payload = TestAuthority.PayloadOf(_authority.Issue());
        var publicKey = _authority.CurrentKey.ECDsa.ExportSubjectPublicKeyInfo();
        var publicJwk = JsonSerializer.SerializeToUtf8Bytes(JsonWebKeyConverter.ConvertFromECDsaSecurityKey(_authority.CurrentKey));
        foreach (var secret in new[] { publicKey, publicJwk })
        {
            var token = TestAuthority.Forge(new { alg = "HS256", typ = "at+jwt", kid = _authority.CurrentKey.KeyId }, payload,
                input => HMACSHA256.HashData(secret, input));

            await AssertRefusedAsync(await _service.GetAsync("/whoami", token), "disallowed_algorithm");
        }
    }

    [Theory]
    [InlineData("JWT")]
    [InlineData("id_token+jwt")]
    [InlineData("")]
    public async Task TokenThatIsNotAnAccessToken_IsRefused(string type)
    {
        var token = _authority.Issue(type: type);

        await AssertRefusedAsync(await _service.GetAsync("/whoami", token), "wrong_token_type");
    }

    [Fact]
    public async Task TokenForAnotherAudience_IsRefused()
    {
        var token = _authority.Issue(claims => claims["aud"] = "orders-api");

        await AssertRefusedAsync(await _service.GetAsync("/whoami", token), "wrong_audience");
    }

    [Theory]
    [InlineData("https://evil.example.com/")]
    [InlineData("TRAILING-SLASH-REMOVED")]
    public async Task TokenFromAnotherIssuer_IsRefused(string issuer)
    {
        var token = _authority.Issue(claims => claims["iss"] = issuer == "TRAILING-SLASH-REMOVED" ? _authority.Issuer.TrimEnd('/') : issuer);

        await AssertRefusedAsync(await _service.GetAsync("/whoami", token), "wrong_issuer");
    }

    [Fact]
    public async Task ExpiredToken_IsRefused_BeyondTheClockSkew()
    {
        var token = _authority.Issue(claims =>
        {
            claims["iat"] = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds();
            claims["nbf"] = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds();
            claims["exp"] = DateTimeOffset.UtcNow.AddMinutes(-2).ToUnixTimeSeconds();
        });

        await AssertRefusedAsync(await _service.GetAsync("/whoami", token), "token_expired");
    }

    [Fact]
    public async Task TokenExpiredWithinTheClockSkew_IsAccepted()
    {
        var token = _authority.Issue(claims =>
        {
            claims["iat"] = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds();
            claims["nbf"] = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds();
            claims["exp"] = DateTimeOffset.UtcNow.AddSeconds(-5).ToUnixTimeSeconds();
        });

        using var response = await _service.GetAsync("/whoami", token);

        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task TokenNotYetValid_IsRefused()
    {
        var token = _authority.Issue(claims => claims["nbf"] = DateTimeOffset.UtcNow.AddMinutes(3).ToUnixTimeSeconds());

        await AssertRefusedAsync(await _service.GetAsync("/whoami", token), "token_not_yet_valid");
    }

    [Fact]
    public async Task TokenWithoutExpiry_IsRefused()
    {
        var token = _authority.Issue(claims => claims.Remove("exp"));

        await AssertRefusedAsync(await _service.GetAsync("/whoami", token), "missing_claims");
    }

    [Fact]
    public async Task TokenSignedWithAnUnpublishedKey_IsRefused()
    {
        var token = _authority.Issue(key: TestAuthority.NewKey());

        await AssertRefusedAsync(await _service.GetAsync("/whoami", token), "unknown_signing_key");
    }

    [Fact]
    public async Task TokenWithoutKeyId_IsRefused()
    {
        var key = new ECDsaSecurityKey(_authority.CurrentKey.ECDsa);
        var token = _authority.Issue(key: key);

        await AssertRefusedAsync(await _service.GetAsync("/whoami", token), "missing_key_id");
    }

    [Fact]
    public async Task TamperedPayload_IsRefused()
    {
        var token = _authority.Issue();
        var parts = token.Split('.');
        var payload = TestAuthority.PayloadOf(token);
        payload["sub"] = "admin";
        var forged = parts[0] + "." + Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(payload)) + "." + parts[2];

        await AssertRefusedAsync(await _service.GetAsync("/whoami", forged), "invalid_signature");
    }

    [Fact]
    public async Task TamperedSignature_IsRefused()
    {
        var token = _authority.Issue();
        var forged = token[..^4] + (token[^4..] == "AAAA" ? "BBBB" : "AAAA");

        await AssertRefusedAsync(await _service.GetAsync("/whoami", forged), "invalid_signature");
    }

    [Fact]
    public async Task KeysTheTokenBringsAlong_AreIgnored()
    {
        // The attacker signs with their own key and points at it every way a JWS header can.
        var attacker = TestAuthority.NewKey();
        attacker.KeyId = _authority.CurrentKey.KeyId;
        var attackerJwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(attacker);
        var header = new Dictionary<string, object>
        {
            ["jku"] = "https://evil.example.com/jwks",
            ["x5u"] = "https://evil.example.com/cert.pem",
            ["jwk"] = new Dictionary<string, string> { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = attackerJwk.X, ["y"] = attackerJwk.Y },
        };
        var token = _authority.Issue(key: attacker, header: header);

        await AssertRefusedAsync(await _service.GetAsync("/whoami", token), "invalid_signature");
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJFUzI1NiJ9.e30")]
    [InlineData("a.b.c.d.e")]
    public async Task GarbageToken_IsRefusedAsMalformed(string token)
    {
        await AssertRefusedAsync(await _service.GetAsync("/whoami", token), "malformed_token");
    }

    [Fact]
    public async Task OversizedToken_IsRefusedAsMalformed()
    {
        var token = _authority.Issue(claims => claims["padding"] = new string('x', 20_000));

        await AssertRefusedAsync(await _service.GetAsync("/whoami", token), "malformed_token");
    }

    internal static async Task AssertRefusedAsync(HttpResponseMessage response, string code, HttpStatusCode status = HttpStatusCode.Unauthorized)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True(status == response.StatusCode, $"expected {(int)status} {code}, got {(int)response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(code, JsonDocument.Parse(body).RootElement.GetProperty("code").GetString());
            Assert.Equal(GatehouseResourceServerDefaults.ProblemTypePrefix + code, JsonDocument.Parse(body).RootElement.GetProperty("type").GetString());
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _service.DisposeAsync();
        await _authority.DisposeAsync();
    }
}
