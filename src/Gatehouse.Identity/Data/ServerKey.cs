namespace Gatehouse.Identity.Data;

/// <summary>
/// A key the server signs or encrypts tokens with. Generated once and kept in the database, so every
/// node uses the same keys and a restart publishes the same JWKS.
/// </summary>
public sealed class ServerKey
{
    /// <summary>The key id (<c>kid</c>).</summary>
    public required string Id { get; init; }

    public required ServerKeyUse Use { get; init; }

    /// <summary><c>ES256</c>, <c>RS256</c> for signing; <c>A256KW</c> for encryption; <c>HS256</c> for code MACs.</summary>
    public required string Algorithm { get; init; }

    /// <summary>PKCS#8 private key (asymmetric) or raw key bytes (symmetric).</summary>
    public required byte[] Material { get; init; }

    public required DateTime CreatedAt { get; init; }

    /// <summary>When another key took over; the key is still published until the retention period ends.</summary>
    public DateTime? RetiredAt { get; set; }
}

public enum ServerKeyUse
{
    Signing = 1,
    Encryption = 2,

    /// <summary>HMAC key under which one-time codes are stored; never published.</summary>
    CodeMac = 3,
}
