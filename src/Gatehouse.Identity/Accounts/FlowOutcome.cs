using Microsoft.AspNetCore.Http.HttpResults;

namespace Gatehouse.Identity.Accounts;

/// <summary>
/// What a flow step decided, before anyone answers for it: a value, or the problem from the error
/// catalog. The JSON API turns the value into a token pair or a 204; the hosted pages into a browser
/// session or the next page. Both run the same step, so every rule applies to both the same way.
/// </summary>
public readonly record struct FlowOutcome<T>(T? Value, ProblemHttpResult? Problem) where T : class
{
    public static implicit operator FlowOutcome<T>(T value) => new(value, null);

    public static implicit operator FlowOutcome<T>(ProblemHttpResult problem) => new(null, problem);
}

/// <summary>A user whose credentials (password, email address) just changed, and the cut-off before which every token of theirs is dead.</summary>
public sealed record CredentialsChanged(Gatehouse.Identity.Data.Users.GatehouseUser User, DateTimeOffset Cutoff);

public static class CredentialsChangedAnswers
{
    /// <summary>
    /// The JSON API's answer to a credential change: a fresh pair issued at the cut-off (so it outlives
    /// the revocation of everything before), or the step's problem.
    /// </summary>
    public static async Task<Results<Ok<TokenPair>, ProblemHttpResult>> FreshPairAsync(
        this Gatehouse.Identity.Tokens.TokenPairs tokens, FlowOutcome<CredentialsChanged> outcome, AccountCall call) =>
        outcome.Value is { } changed
            ? TypedResults.Ok(await tokens.StartSessionAsync(changed.User, call, notBefore: changed.Cutoff))
            : outcome.Problem!;
}
