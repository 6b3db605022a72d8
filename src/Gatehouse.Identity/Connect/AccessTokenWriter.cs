using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// Writes and signs the RFC 9068 access token of a client-credentials grant directly, with the claims,
/// header and signature OpenIddict produces for the same grant: a JOSE header with <c>alg</c>,
/// <c>kid</c> and <c>typ: at+jwt</c>, and <c>iss</c>, <c>exp</c>, <c>iat</c>, <c>aud</c>, <c>scope</c>,
/// <c>jti</c>, <c>sub</c>, <c>name</c>, <c>oi_prst</c> and <c>client_id</c> in the payload.
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

    /// <summary>Writes and signs one access token; <paramref name="scopes"/> may be empty (no <c>scope</c> claim).</summary>
    public string Write(
        string issuer, DateTimeOffset issuedAt, TimeSpan lifetime, IReadOnlyCollection<string> audiences,
        IReadOnlyCollection<string> scopes, string clientId, string name)
    {
        var payload = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(payload, PayloadOptions))
        {
            var iat = issuedAt.ToUnixTimeSeconds();
            json.WriteStartObject();
            json.WriteString(Claims.Issuer, issuer);
            json.WriteNumber(Claims.ExpiresAt, (issuedAt + lifetime).ToUnixTimeSeconds());
            json.WriteNumber(Claims.IssuedAt, iat);
            if (audiences.Count == 1)
            {
                json.WriteString(Claims.Audience, audiences.First());
            }
            else
            {
                json.WriteStartArray(Claims.Audience);
                foreach (var audience in audiences)
                {
                    json.WriteStringValue(audience);
                }

                json.WriteEndArray();
            }

            if (scopes.Count > 0)
            {
                json.WriteString(Claims.Scope, string.Join(' ', scopes));
            }

            json.WriteString(Claims.JwtId, Guid.NewGuid().ToString());
            json.WriteString(Claims.Subject, clientId);
            json.WriteString(Claims.Name, name);
            json.WriteString(Claims.Private.Presenter, clientId);
            json.WriteString(Claims.ClientId, clientId);
            json.WriteEndObject();
        }

        // header.payload, then .signature, all base64url without padding.
        var payloadLength = Base64Url.GetEncodedLength(payload.WrittenCount);
        var signingInput = new byte[_encodedHeader.Length + 1 + payloadLength];
        _encodedHeader.CopyTo(signingInput, 0);
        signingInput[_encodedHeader.Length] = (byte)'.';
        Base64Url.EncodeToUtf8(payload.WrittenSpan, signingInput.AsSpan(_encodedHeader.Length + 1));

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
