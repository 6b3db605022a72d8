using System.Text.Json;
using System.Text.Json.Serialization;
using Gatehouse.Identity.Codes;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Caching.Distributed;

namespace Gatehouse.Identity.Accounts;

//  sign-up:        POST /auth/sign-up ──▶ [AwaitingCode] ──POST /auth/confirm-email──▶ [Completed]
//                                           │   ▲
//                                           └───┘ POST /auth/send-code (new code, old one void)
//  reset password: POST /auth/reset-password ──▶ [AwaitingCode] ──POST /auth/confirm-reset──▶ [Completed]
//  change email:   POST /auth/change-email (bearer, password) ──▶ [AwaitingCode] ──POST /auth/confirm-email-change (bearer)──▶ [Completed]
//
//  POST /auth/send-code issues a new code for any flow in AwaitingCode; the code goes to the flow's address.
//  A flow expires with its lifetime; a completed or expired flow answers invalid_flow to every step.

public enum FlowState
{
    AwaitingCode,
    Completed,
}

/// <summary>
/// One multi-step account flow. <see cref="SubjectId"/> is what its codes are bound to: the user being
/// reset or changing their address, or the id the new user will get. <see cref="Email"/> is where its
/// codes go: the address signed up with, being reset, or moved to. When the email belongs to no account
/// (reset) or to an existing one (sign-up, email change), <see cref="Deliverable"/> is false: codes are
/// issued but never sent, so every answer looks the same as in the real case.
/// </summary>
public sealed record AccountFlow(
    Guid Id,
    VerificationPurpose Purpose,
    FlowState State,
    DateTimeOffset ExpiresAt,
    string ClientId,
    Guid SubjectId,
    bool Deliverable,
    string Email,
    string? DisplayName = null,
    string? PasswordHash = null)
{
    /// <summary>The account the flow acts on, for audit records; null while there is none (a sign-up, a reset of an unknown address).</summary>
    [JsonIgnore]
    public Guid? UserId => Purpose == VerificationPurpose.ChangeEmail || (Purpose == VerificationPurpose.ResetPassword && Deliverable) ? SubjectId : null;

    /// <summary>How audit records name what the flow's codes are for.</summary>
    [JsonIgnore]
    public string CodeReason => Purpose switch
    {
        VerificationPurpose.ConfirmEmail => "confirm_email",
        VerificationPurpose.ResetPassword => "reset_password",
        VerificationPurpose.ChangeEmail => "change_email",
        _ => throw new InvalidOperationException($"No audit name for {Purpose} codes."),
    };
}

/// <summary>
/// Flows live in the distributed cache (Redis, or in-process by default) until they expire. They are
/// encrypted with Data Protection because a sign-up flow carries the new password's hash until the
/// email is confirmed.
/// </summary>
public sealed class AccountFlowStore(IDistributedCache cache, IDataProtectionProvider protection, TimeProvider time)
{
    private readonly IDataProtector _protector = protection.CreateProtector("Gatehouse.Accounts.Flows");

    public async Task SaveAsync(AccountFlow flow, CancellationToken cancellationToken)
    {
        var payload = _protector.Protect(JsonSerializer.SerializeToUtf8Bytes(flow));
        await cache.SetAsync(Key(flow.Id), payload, new DistributedCacheEntryOptions { AbsoluteExpiration = flow.ExpiresAt }, cancellationToken);
    }

    /// <summary>The flow, if it exists, has not expired, serves <paramref name="purpose"/> and is in <paramref name="state"/>.</summary>
    public async Task<AccountFlow?> FindAsync(string id, VerificationPurpose purpose, FlowState state, CancellationToken cancellationToken) =>
        await FindAsync(id, state, cancellationToken) is { } flow && flow.Purpose == purpose ? flow : null;

    /// <summary>The flow, whatever it serves, if it exists, has not expired and is in <paramref name="state"/>.</summary>
    public async Task<AccountFlow?> FindAsync(string id, FlowState state, CancellationToken cancellationToken)
    {
        if (!Guid.TryParseExact(id, "D", out var flowId) || await cache.GetAsync(Key(flowId), cancellationToken) is not { } payload)
        {
            return null;
        }

        AccountFlow? flow;
        try
        {
            flow = JsonSerializer.Deserialize<AccountFlow>(_protector.Unprotect(payload));
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }

        return flow is not null && flow.State == state && flow.ExpiresAt > time.GetUtcNow() ? flow : null;
    }

    private static string Key(Guid id) => "gatehouse:flow:" + id.ToString("N");
}
