namespace Gatehouse.Identity.Data.Accounts;

/// <summary>
/// One sign-in session of one user at one client: every refresh token rotated from the first one
/// belongs to it. Presenting a spent token revokes the whole family. Its id is the <c>sid</c> of the
/// access tokens issued in it.
/// </summary>
public sealed class RefreshTokenFamily
{
    public Guid Id { get; set; }

    public Guid UserId { get; set; }

    public required string ClientId { get; set; }

    /// <summary>The user's credential version when the family began; a newer version ends it.</summary>
    public int CredentialVersion { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>No token of the family is accepted after this, however often it was rotated.</summary>
    public DateTime ExpiresAt { get; set; }

    public DateTime? RevokedAt { get; set; }

    public string? RevokedReason { get; set; }

    public List<RefreshToken> Tokens { get; set; } = [];
}

/// <summary>One refresh token of a family. Only the SHA-256 of the token is stored.</summary>
public sealed class RefreshToken
{
    public Guid Id { get; set; }

    public Guid FamilyId { get; set; }

    public required byte[] Hash { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime ExpiresAt { get; set; }

    /// <summary>Set when the token was exchanged for its successor; a second use is a reuse.</summary>
    public DateTime? SpentAt { get; set; }
}
