namespace Gatehouse.Identity.Data.Connect;

/// <summary>
/// A back-channel logout notice still to be delivered: one per client and session (and subject).
/// The row is deleted once the client accepted it or when delivery is given up; until then it
/// survives restarts and is retried by whichever node claims it first.
/// </summary>
public sealed class BackChannelLogoutDelivery
{
    public long Id { get; set; }

    public required string ClientId { get; set; }

    public required string Subject { get; set; }

    /// <summary>The browser session (<c>sid</c>); empty when the grants ended outside a session.</summary>
    public required string SessionId { get; set; }

    /// <summary>The issuer the logout token names, fixed when the session ended.</summary>
    public required string Issuer { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>When the next attempt is due; a node that claims the row moves it forward by a lease.</summary>
    public DateTime NextAttemptAt { get; set; }

    /// <summary>No attempt is made after this.</summary>
    public DateTime GiveUpAt { get; set; }

    public int Attempts { get; set; }

    public string? LastError { get; set; }
}
