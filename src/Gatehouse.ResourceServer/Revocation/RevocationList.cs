using System.Collections.Concurrent;
using Gatehouse.ResourceServer.Tokens;
using Microsoft.Extensions.Options;

namespace Gatehouse.ResourceServer.Revocation;

/// <summary>
/// The revocations this service has received, kept in memory until the tokens they refuse have
/// expired, and the rule for when the feed is unreachable. Checked on every request, cached token
/// or not: two dictionary lookups.
/// </summary>
public sealed class RevocationList
{
    private readonly ConcurrentDictionary<string, long> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SubjectCutoff> _subjects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _sessions = new(StringComparer.Ordinal);
    private readonly RevocationFeedOptions _options;
    private readonly TimeProvider _time;
    private long _lastSweep;

    /// <summary>Creates an empty list.</summary>
    public RevocationList(IOptions<GatehouseResourceServerOptions> options, RevocationFeedStatus status, TimeProvider time)
    {
        _options = options.Value.Revocation;
        Status = status;
        _time = time;
    }

    /// <summary>Whether the feed is reachable.</summary>
    public RevocationFeedStatus Status { get; }

    /// <summary>How many revocations are held.</summary>
    public int Count => _tokens.Count + _subjects.Count + _sessions.Count;

    /// <summary>Records one event; applying the same event twice changes nothing.</summary>
    public void Apply(RevocationEvent revocation)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (revocation.ExpiresAt <= now || !revocation.IsWellFormed)
        {
            return;
        }

        if (revocation.Kind == RevocationEventKinds.Token)
        {
            _tokens[revocation.TokenId!] = revocation.ExpiresAt;
        }
        else if (revocation.Kind == RevocationEventKinds.Session)
        {
            _sessions.AddOrUpdate(revocation.SessionId!, revocation.ExpiresAt, (_, existing) => Math.Max(existing, revocation.ExpiresAt));
        }
        else
        {
            var cutoff = new SubjectCutoff(revocation.IssuedBefore!.Value, revocation.ExpiresAt);
            _subjects.AddOrUpdate(revocation.Subject!, cutoff, (_, existing) => existing.Before >= cutoff.Before ? existing : cutoff);
        }

        SweepIfDue(now);
    }

    /// <summary>
    /// Why <paramref name="token"/> must be refused (revoked, its subject revoked, or the feed down past
    /// its grace period while failing closed), or null when it may pass.
    /// </summary>
    public AccessTokenError? Check(ValidatedAccessToken token)
    {
        if (_options.Disabled)
        {
            return null;
        }

        if (!_tokens.IsEmpty && _tokens.ContainsKey(token.TokenId))
        {
            return AccessTokenErrors.Revoked;
        }

        if (!_subjects.IsEmpty && _subjects.TryGetValue(token.Subject, out var cutoff) && token.IssuedAt < cutoff.Before)
        {
            return AccessTokenErrors.SubjectRevoked;
        }

        if (!_sessions.IsEmpty && token.SessionId is { } session && _sessions.ContainsKey(session))
        {
            return AccessTokenErrors.SessionRevoked;
        }

        if (_options.OutageMode == FeedOutageMode.FailClosed && Status.IsDown)
        {
            return AccessTokenErrors.RevocationFeedUnavailable;
        }

        return null;
    }

    private void SweepIfDue(long now)
    {
        var last = Interlocked.Read(ref _lastSweep);
        if (now - last < 60 || Interlocked.CompareExchange(ref _lastSweep, now, last) != last)
        {
            return;
        }

        RemoveExpired(_tokens, now);
        RemoveExpired(_sessions, now);

        foreach (var (subject, cutoff) in _subjects)
        {
            if (cutoff.ForgetAt <= now)
            {
                _subjects.TryRemove(new KeyValuePair<string, SubjectCutoff>(subject, cutoff));
            }
        }
    }

    private static void RemoveExpired(ConcurrentDictionary<string, long> expiries, long now)
    {
        foreach (var (key, expiresAt) in expiries)
        {
            if (expiresAt <= now)
            {
                expiries.TryRemove(key, out _);
            }
        }
    }

    private sealed record SubjectCutoff(long Before, long ForgetAt);
}

/// <summary>
/// Whether the revocation feed is reachable. Down means: no successful contact for longer than the
/// grace period (counted from start-up until the first contact).
/// </summary>
public sealed class RevocationFeedStatus
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _grace;
    private long _failingSince;
    private volatile bool _reachable;
    private volatile string? _problem = "the revocation feed has not been reached yet";

    /// <summary>Creates the status; the grace period starts now.</summary>
    public RevocationFeedStatus(IOptions<GatehouseResourceServerOptions> options, TimeProvider time)
    {
        _time = time;
        _grace = options.Value.Revocation.GracePeriod;
        _failingSince = time.GetTimestamp();
    }

    /// <summary>The feed answered; revocations are current.</summary>
    public bool IsReachable => _reachable;

    /// <summary>The feed has been unreachable for longer than the grace period.</summary>
    public bool IsDown => !_reachable && _time.GetElapsedTime(Interlocked.Read(ref _failingSince)) > _grace;

    /// <summary>How long the feed has been unreachable (zero while reachable).</summary>
    public TimeSpan UnreachableFor => _reachable ? TimeSpan.Zero : _time.GetElapsedTime(Interlocked.Read(ref _failingSince));

    /// <summary>What went wrong last, while unreachable.</summary>
    public string? Problem => _reachable ? null : _problem;

    /// <summary>Called by a feed reader after a successful contact.</summary>
    public void MarkReachable()
    {
        _reachable = true;
        _problem = null;
    }

    /// <summary>Called by a feed reader when a contact failed; the outage starts at the first failure.</summary>
    public void MarkUnreachable(string problem)
    {
        _problem = problem;
        if (_reachable)
        {
            Interlocked.Exchange(ref _failingSince, _time.GetTimestamp());
            _reachable = false;
        }
    }
}
