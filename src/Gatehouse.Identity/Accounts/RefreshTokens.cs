using Gatehouse.Identity.Audit;
using Gatehouse.Identity.Tokens;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Identity.Accounts;

/// <summary>A refresh token for a new pair; the token presented is spent, a reused one ends the session.</summary>
public sealed class RefreshTokens(RefreshTokenFamilies families, TokenPairs tokens, AuditLog audit, ILogger<RefreshTokens> logger)
{
    public async Task<Results<Ok<TokenPair>, ProblemHttpResult>> HandleAsync(RefreshTokensRequest request, AccountCall call)
    {
        var rotation = await families.RotateAsync(request.RefreshToken!, call.ClientId, call.CancellationToken);
        switch (rotation.Outcome)
        {
            case RotationOutcome.Rotated:
                audit.Record(AuditEventTypes.RefreshSucceeded, rotation.UserId, call.ClientId, call.IpAddress);
                return TypedResults.Ok(await tokens.PairAsync(rotation.UserId!.Value, rotation.Roles ?? [], rotation.Successor!, call));
            case RotationOutcome.Reused:
                AccountsLog.RefreshTokenReused(logger, call.ClientId, rotation.FamilyId, rotation.UserId);
                audit.Record(AuditEventTypes.RefreshReuse, rotation.UserId, call.ClientId, call.IpAddress, AccountErrors.RefreshTokenReused.Code);
                return AccountErrors.Field("refresh_token", AccountErrors.RefreshTokenReused.Title, AccountErrors.RefreshTokenReused);
            default:
                audit.Record(AuditEventTypes.RefreshFailed, rotation.UserId, call.ClientId, call.IpAddress, AccountErrors.InvalidRefreshToken.Code);
                return AccountErrors.Field("refresh_token", AccountErrors.InvalidRefreshToken.Title, AccountErrors.InvalidRefreshToken);
        }
    }
}
