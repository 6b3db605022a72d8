using System.Globalization;
using System.Text.RegularExpressions;
using Gatehouse.ResourceServer.Revocation;
using StackExchange.Redis;

namespace Gatehouse.Identity.Revocation;

/// <summary>
/// The revocation events resource servers follow: appended when a token or a subject is revoked,
/// kept as long as they can matter (trimmed by age), and read after a cursor, waiting for news when
/// there is none (the long poll of <c>/feeds/revocations</c>).
/// </summary>
public interface IRevocationEventLog
{
    /// <summary>Records <paramref name="revocation"/> and announces it.</summary>
    ValueTask AppendAsync(RevocationEvent revocation, CancellationToken cancellationToken = default);

    /// <summary>
    /// Events after <paramref name="after"/> (all retained ones when null), oldest first; when there are
    /// none, waits up to <paramref name="wait"/> for one.
    /// </summary>
    ValueTask<RevocationFeedPage> ReadAsync(string? after, TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="cursor"/> has the form this log hands out.</summary>
    bool IsValidCursor(string cursor);
}

/// <summary>Shared rules of both logs.</summary>
public static partial class RevocationEventLogRules
{
    /// <summary>Most events returned by one read.</summary>
    public const int PageSize = 500;

    /// <summary>
    /// How long an event is kept: every event stops mattering once the tokens it refuses have expired,
    /// at the latest an access-token lifetime (at most an hour) after it was recorded.
    /// </summary>
    public static readonly TimeSpan Retention = RevocationFeed.SubjectEventLifetime;

    [GeneratedRegex(@"^[0-9]{1,20}-[0-9]{1,20}$")]
    public static partial Regex StreamId();
}

/// <summary>The embedded default: events in this process only, numbered from one.</summary>
public sealed class MemoryRevocationEventLog(TimeProvider time) : IRevocationEventLog
{
    private readonly Lock _gate = new();
    private readonly LinkedList<(long Sequence, RevocationEvent Event)> _events = new();
    private long _last;
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask AppendAsync(RevocationEvent revocation, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource appended;
        lock (_gate)
        {
            var horizon = time.GetUtcNow().Add(-RevocationEventLogRules.Retention).ToUnixTimeMilliseconds();
            while (_events.First is { } oldest && oldest.Value.Event.OccurredAt < horizon)
            {
                _events.RemoveFirst();
            }

            _last++;
            _events.AddLast((_last, revocation with { Id = _last.ToString(CultureInfo.InvariantCulture) }));
            appended = _appended;
            _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        appended.TrySetResult();
        return ValueTask.CompletedTask;
    }

    public async ValueTask<RevocationFeedPage> ReadAsync(string? after, TimeSpan wait, CancellationToken cancellationToken)
    {
        var from = after is null ? 0 : long.Parse(after, CultureInfo.InvariantCulture);
        var deadline = time.GetTimestamp();
        while (true)
        {
            Task appended;
            lock (_gate)
            {
                // A cursor from before a restart of this process: start again from what is held.
                if (from > _last)
                {
                    from = 0;
                }

                var events = _events.Where(entry => entry.Sequence > from).Take(RevocationEventLogRules.PageSize)
                    .Select(entry => entry.Event).ToList();
                var remaining = wait - time.GetElapsedTime(deadline);
                if (events.Count > 0 || after is null || remaining <= TimeSpan.Zero)
                {
                    var cursor = events.Count > 0 ? events[^1].Id! : (after is null ? _last : from).ToString(CultureInfo.InvariantCulture);
                    return new RevocationFeedPage(events, cursor);
                }

                appended = _appended.Task;
            }

            try
            {
                await appended.WaitAsync(wait - time.GetElapsedTime(deadline), time, cancellationToken);
            }
            catch (TimeoutException)
            {
                // Loop once more: the answer is an empty page with the same cursor.
            }
        }
    }

    public bool IsValidCursor(string cursor) =>
        cursor.Length <= 20 && long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out _);
}

/// <summary>
/// Shared by every node: events in a Redis stream (trimmed by age, so late joiners can catch up)
/// and announced on pub/sub the moment they are added. Long polls on any node wake on the announcement.
/// </summary>
public sealed class RedisRevocationEventLog(IConnectionMultiplexer redis, TimeProvider time) : IRevocationEventLog
{
    private static readonly RedisChannel Channel = RedisChannel.Literal(RevocationFeed.RedisChannel);
    private readonly Lock _gate = new();
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _subscribed;

    public async ValueTask AppendAsync(RevocationEvent revocation, CancellationToken cancellationToken = default)
    {
        var db = redis.GetDatabase();
        var horizon = time.GetUtcNow().Add(-RevocationEventLogRules.Retention).ToUnixTimeMilliseconds();
        var id = (string?)await db.ExecuteAsync("XADD", RevocationFeed.RedisStream, "MINID", "~", horizon.ToString(CultureInfo.InvariantCulture),
            "*", RevocationFeed.RedisStreamField, revocation.ToJson());
        await db.PublishAsync(Channel, (revocation with { Id = id }).ToJson());
    }

    public async ValueTask<RevocationFeedPage> ReadAsync(string? after, TimeSpan wait, CancellationToken cancellationToken)
    {
        await EnsureSubscribedAsync();
        var started = time.GetTimestamp();
        var db = redis.GetDatabase();
        while (true)
        {
            Task appended;
            lock (_gate)
            {
                appended = _appended.Task;
            }

            var entries = await db.StreamRangeAsync(RevocationFeed.RedisStream, after is null ? "-" : "(" + after, "+", RevocationEventLogRules.PageSize);
            var events = new List<RevocationEvent>(entries.Length);
            foreach (var entry in entries)
            {
                if (RevocationEvent.TryParse(entry[RevocationFeed.RedisStreamField]) is { } revocation)
                {
                    events.Add(revocation with { Id = entry.Id });
                }
            }

            var remaining = wait - time.GetElapsedTime(started);
            if (entries.Length > 0 || after is null || remaining <= TimeSpan.Zero)
            {
                var cursor = entries.Length > 0 ? (string)entries[^1].Id! : after ?? await LastIdAsync(db);
                return new RevocationFeedPage(events, cursor);
            }

            try
            {
                await appended.WaitAsync(remaining, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                // One more read answers an empty page.
            }
        }
    }

    public bool IsValidCursor(string cursor) => RevocationEventLogRules.StreamId().IsMatch(cursor);

    private static async Task<string> LastIdAsync(IDatabase db)
    {
        var last = await db.StreamRangeAsync(RevocationFeed.RedisStream, "-", "+", 1, Order.Descending);
        return last.Length > 0 ? (string)last[0].Id! : "0-0";
    }

    private Task EnsureSubscribedAsync()
    {
        lock (_gate)
        {
            return _subscribed ??= redis.GetSubscriber().SubscribeAsync(Channel, (_, _) =>
            {
                TaskCompletionSource appended;
                lock (_gate)
                {
                    appended = _appended;
                    _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                appended.TrySetResult();
            });
        }
    }
}

/// <summary>
/// Every revocation also becomes an event resource servers follow: a token until it expires, a
/// subject's older tokens until the longest-lived of them has expired.
/// </summary>
public sealed class PublishingAccessTokenDenylist(IAccessTokenDenylist inner, IRevocationEventLog events, TimeProvider time) : IAccessTokenDenylist
{
    public async ValueTask DenyAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        await inner.DenyAsync(tokenId, expiresAt, cancellationToken);
        if (expiresAt > time.GetUtcNow())
        {
            await events.AppendAsync(new RevocationEvent
            {
                Kind = RevocationEventKinds.Token,
                TokenId = tokenId,
                ExpiresAt = expiresAt.ToUnixTimeSeconds(),
                Reason = "revoked",
                OccurredAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
            }, cancellationToken);
        }
    }

    public ValueTask<bool> IsDeniedAsync(string tokenId, CancellationToken cancellationToken = default) =>
        inner.IsDeniedAsync(tokenId, cancellationToken);

    public async ValueTask RevokeSubjectAsync(string subject, DateTimeOffset issuedBefore, CancellationToken cancellationToken = default)
    {
        await inner.RevokeSubjectAsync(subject, issuedBefore, cancellationToken);
        var cutoff = AccessTokenDenylistRules.ToCutoff(issuedBefore);
        await events.AppendAsync(new RevocationEvent
        {
            Kind = RevocationEventKinds.Subject,
            Subject = subject,
            IssuedBefore = cutoff,
            ExpiresAt = cutoff + (long)RevocationFeed.SubjectEventLifetime.TotalSeconds,
            OccurredAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        }, cancellationToken);
    }

    public ValueTask<bool> IsSubjectRevokedAsync(string subject, DateTimeOffset issuedAt, CancellationToken cancellationToken = default) =>
        inner.IsSubjectRevokedAsync(subject, issuedAt, cancellationToken);
}
