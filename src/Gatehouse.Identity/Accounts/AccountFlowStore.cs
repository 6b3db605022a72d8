using System.Text.Json;
using Gatehouse.Identity.Codes;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Caching.Distributed;

namespace Gatehouse.Identity.Accounts;

//  sign-up:        POST /auth/sign-up ──▶ [AwaitingCode] ──POST /auth/confirm-email──▶ [Completed]
//                                           │   ▲
//                                           └───┘ POST /auth/send-code (new code, old one void)
//  reset password: POST /auth/reset-password ──▶ [AwaitingCode] ──POST /auth/confirm-reset──▶ [Completed]
//
//  A flow expires with its lifetime; a completed or expired flow answers invalid_flow to every step.

public enum FlowState
{
    AwaitingCode,
    Completed,
}

/// <summary>
/// One multi-step account flow. <see cref="SubjectId"/> is what its codes are bound to: the user being
/// reset, or the id the new user will get. When the email belongs to no account (reset) or to an
/// existing one (sign-up), <see cref="Deliverable"/> is false: codes are issued but never sent, so
/// every answer looks the same as in the real case.
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
    string? PasswordHash = null);

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
    public async Task<AccountFlow?> FindAsync(string id, VerificationPurpose purpose, FlowState state, CancellationToken cancellationToken)
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

        return flow is not null && flow.Purpose == purpose && flow.State == state && flow.ExpiresAt > time.GetUtcNow() ? flow : null;
    }

    private static string Key(Guid id) => "gatehouse:flow:" + id.ToString("N");
}
