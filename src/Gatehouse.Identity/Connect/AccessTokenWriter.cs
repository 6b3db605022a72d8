using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gatehouse.Identity.Tokens;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// Writes and signs RFC 9068 access tokens directly, with the claims, header and signature OpenIddict
/// produces for the same input: a JOSE header with <c>alg</c>, <c>kid</c> and <c>typ: at+jwt</c>, and
/// in the payload <c>iss</c>, <c>exp</c>, <c>iat</c>, <c>aud</c>, <c>scope</c> and <c>jti</c>, then
/// the subject's claims: for a client-credentials grant (<see cref="ClientCredentialsFastPath"/>)
/// <c>sub</c>, <c>name</c>, <c>oi_prst</c> and <c>client_id</c>; for a user of the account API
/// (<see cref="UserAccessTokens"/>) <c>sub</c>, <c>sid</c>, <c>client_id</c>, <c>role</c> and
/// <c>oi_prst</c>. It writes nothing OpenIddict would encrypt, store or look up.
/// </summary>
public sealed class AccessTokenWriter
{
    private static readonly JsonWriterOptions PayloadOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly byte[] _encodedHeader;
    private readonly Func<byte[], byte[]> _sign;

    private AccessTokenWriter(SigningCredentials credentials, byte[] encodedHeader, Func<byte[], byte[]> sign)
    {
        Credentials = credentials;
        _encodedHeader = encodedHeader;
        _sign = sign;
    }

    /// <summary>The credentials this writer signs with (OpenIddict's active signing credentials).</summary>
    public SigningCredentials Credentials { get; }

    /// <summary>
    /// A writer for the access tokens <paramref name="server"/> issues, or null when OpenIddict, as
    /// configured, would write something else; each such difference is added to <paramref name="reasons"/>.
    /// What a caller adds to the token (its claims, a custom handler of its events) it checks itself.
    /// </summary>
    public static AccessTokenWriter? ForServer(OpenIddictServerOptions server, ICollection<string> reasons)
    {
        var known = reasons.Count;
        if (!server.DisableAccessTokenEncryption || server.UseReferenceAccessTokens || server.UseClientCertificateBoundAccessTokens)
        {
            reasons.Add("access tokens are not plain signed JWTs (encrypted, reference or certificate-bound)");
        }

        if (server.EnableDegradedMode)
        {
            reasons.Add("OpenIddict runs in degraded mode");
        }

        // OpenIddict's own handler writes no nbf and adds no times of its own; another one may.
        if (server.JsonWebTokenHandler.GetType() != typeof(JsonWebTokenHandler) || server.JsonWebTokenHandler.SetDefaultTimesOnTokenCreation)
        {
            reasons.Add("OpenIddict's JSON Web Token handler is replaced or reconfigured");
        }

        var writer = server.SigningCredentials.Count > 0 ? TryCreate(server.SigningCredentials[0]) : null;
        if (writer is null)
        {
            reasons.Add("the active signing key is not an ES256 or RS256 key");
        }

        return reasons.Count == known ? writer : null;
    }

    /// <summary>A writer for <paramref name="credentials"/>, or null when its key or algorithm is not ES256 or RS256.</summary>
    public static AccessTokenWriter? TryCreate(SigningCredentials credentials)
    {
        Func<byte[], byte[]>? sign = (credentials.Algorithm, credentials.Key) switch
        {
            (SecurityAlgorithms.EcdsaSha256, ECDsaSecurityKey { ECDsa: { } ecdsa }) when ecdsa.KeySize == 256 => EcdsaSigner(ecdsa),
            (SecurityAlgorithms.RsaSha256, RsaSecurityKey { Rsa: { } rsa }) => RsaSigner(rsa),
            _ => null,
        };

        if (sign is null || string.IsNullOrEmpty(credentials.Key.KeyId))
        {
            return null;
        }

        var header = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(header, PayloadOptions))
        {
            json.WriteStartObject();
            json.WriteString("alg", credentials.Algorithm);
            json.WriteString("kid", credentials.Key.KeyId);
            json.WriteString("typ", JsonWebTokenTypes.AccessToken);
            json.WriteEndObject();
        }

        return new AccessTokenWriter(credentials, Encoding.ASCII.GetBytes(Base64Url.EncodeToString(header.WrittenSpan)), sign);
    }

    /// <summary>
    /// Writes and signs a client-credentials token (the client is its own subject);
    /// <paramref name="scopes"/> may be empty (no <c>scope</c> claim).
    /// </summary>
    public string Write(
        string issuer, DateTimeOffset issuedAt, TimeSpan lifetime, IReadOnlyCollection<string> audiences,
        IReadOnlyCollection<string> scopes, string clientId, string name)
    {
        var payload = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(payload, PayloadOptions))
        {
            WriteRegisteredClaims(json, issuer, issuedAt, lifetime, audiences, scopes);
            json.WriteString(Claims.Subject, clientId);
            json.WriteString(Claims.Name, name);
            json.WriteString(Claims.Private.Presenter, clientId);
            json.WriteString(Claims.ClientId, clientId);
            json.WriteEndObject();
        }

        return Sign(payload.WrittenSpan);
    }

    /// <summary>
    /// Writes and signs a user's token as the account API issues it: <c>sub</c> the user, <c>sid</c> the
    /// session, <c>client_id</c>, one <c>role</c> per role (a string for one, an array for several,
    /// none for none) and <c>oi_prst</c> the client, after the claims every access token carries.
    /// </summary>
    public string WriteForUser(
        string issuer, DateTimeOffset issuedAt, TimeSpan lifetime, IReadOnlyCollection<string> audiences,
        IReadOnlyCollection<string> scopes, string clientId, string userId, string sessionId, IReadOnlyCollection<string> roles)
    {
        var payload = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(payload, PayloadOptions))
        {
            WriteRegisteredClaims(json, issuer, issuedAt, lifetime, audiences, scopes);
            json.WriteString(Claims.Subject, userId);
            json.WriteString(UserAccessTokens.SessionClaim, sessionId);
            json.WriteString(Claims.ClientId, clientId);
            WriteOneOrMany(json, Claims.Role, roles);
            json.WriteString(Claims.Private.Presenter, clientId);
            json.WriteEndObject();
        }

        return Sign(payload.WrittenSpan);
    }

    /// <summary>
    /// Opens the payload with what OpenIddict writes first into every access token: <c>iss</c>,
    /// <c>exp</c>, <c>iat</c>, <c>aud</c> (absent without audiences), <c>scope</c> (absent without
    /// scopes) and a random <c>jti</c>.
    /// </summary>
    private static void WriteRegisteredClaims(
        Utf8JsonWriter json, string issuer, DateTimeOffset issuedAt, TimeSpan lifetime,
        IReadOnlyCollection<string> audiences, IReadOnlyCollection<string> scopes)
    {
        json.WriteStartObject();
        json.WriteString(Claims.Issuer, issuer);
        json.WriteNumber(Claims.ExpiresAt, (issuedAt + lifetime).ToUnixTimeSeconds());
        json.WriteNumber(Claims.IssuedAt, issuedAt.ToUnixTimeSeconds());
        WriteOneOrMany(json, Claims.Audience, audiences);
        if (scopes.Count > 0)
        {
            json.WriteString(Claims.Scope, string.Join(' ', scopes));
        }

        json.WriteString(Claims.JwtId, Guid.NewGuid().ToString());
    }

    /// <summary>A claim as IdentityModel writes it: nothing for no value, a string for one, an array for several.</summary>
    private static void WriteOneOrMany(Utf8JsonWriter json, string name, IReadOnlyCollection<string> values)
    {
        switch (values.Count)
        {
            case 0:
                return;
            case 1:
                json.WriteString(name, values.First());
                return;
            default:
                json.WriteStartArray(name);
                foreach (var value in values)
                {
                    json.WriteStringValue(value);
                }

                json.WriteEndArray();
                return;
        }
    }

    /// <summary><c>header.payload.signature</c>, all base64url without padding.</summary>
    private string Sign(ReadOnlySpan<byte> payload)
    {
        var payloadLength = Base64Url.GetEncodedLength(payload.Length);
        var signingInput = new byte[_encodedHeader.Length + 1 + payloadLength];
        _encodedHeader.CopyTo(signingInput, 0);
        signingInput[_encodedHeader.Length] = (byte)'.';
        Base64Url.EncodeToUtf8(payload, signingInput.AsSpan(_encodedHeader.Length + 1));

        var signature = _sign(signingInput);
        var token = new byte[signingInput.Length + 1 + Base64Url.GetEncodedLength(signature.Length)];
        signingInput.CopyTo(token, 0);
        token[signingInput.Length] = (byte)'.';
        Base64Url.EncodeToUtf8(signature, token.AsSpan(signingInput.Length + 1));
        return Encoding.ASCII.GetString(token);
    }

    // The platform's key objects create a fresh native context per operation, so one key object
    // serves every thread at once (as Microsoft.IdentityModel also relies on).
    private static Func<byte[], byte[]> EcdsaSigner(ECDsa key) =>
        data => key.SignHash(SHA256.HashData(data), DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    private static Func<byte[], byte[]> RsaSigner(RSA key) =>
        data => key.SignHash(SHA256.HashData(data), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
}
