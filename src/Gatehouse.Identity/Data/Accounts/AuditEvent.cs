namespace Gatehouse.Identity.Data.Accounts;

/// <summary>
/// One security-relevant event: who (user id only), what, when, through which client, from where.
/// Audit events are data for the admin API, not log lines; they keep no email or name, so deleting an
/// account leaves only its id here.
/// </summary>
public sealed class AuditEvent
{
    public long Id { get; set; }

    public DateTime OccurredAt { get; set; }

    /// <summary>What happened, for example <c>sign_in.succeeded</c>; see <c>AuditEventTypes</c>.</summary>
    public required string Type { get; set; }

    public Guid? UserId { get; set; }

    public string? ClientId { get; set; }

    /// <summary>The administrator who acted, when a person (not only a client) made an admin call.</summary>
    public Guid? ActorUserId { get; set; }

    public string? IpAddress { get; set; }

    /// <summary>
    /// Why, for failures: an error code such as <c>invalid_credentials</c>; for client authentication,
    /// the endpoint and the error (<c>token:invalid_client</c>), or the endpoint alone for a success.
    /// </summary>
    public string? Reason { get; set; }

    /// <summary>
    /// How many times it happened: 1, except for successful client authentications, which are counted
    /// per client, IP and endpoint and stored once a second (see <c>CredentialUseCounter</c>).
    /// </summary>
    public int Count { get; set; } = 1;
}
