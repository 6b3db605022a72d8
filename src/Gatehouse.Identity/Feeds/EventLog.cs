using System.Globalization;
using System.Text.RegularExpressions;
using StackExchange.Redis;

namespace Gatehouse.Identity.Feeds;

/// <summary>How a feed's events are written, read and stamped with their position.</summary>
/// <param name="ToJson">The event as JSON.</param>
/// <param name="Parse">An event from JSON, or null for text this version does not understand.</param>
/// <param name="WithId">The event carrying its position in the feed.</param>
/// <param name="OccurredAt">When the event happened, in Unix milliseconds (events are trimmed by age).</param>
public sealed record FeedCodec<TEvent>(
    Func<TEvent, string> ToJson,
    Func<string?, TEvent?> Parse,
    Func<TEvent, string, TEvent> WithId,
    Func<TEvent, long> OccurredAt) where TEvent : class;

/// <summary>One read of a feed.</summary>
/// <param name="Events">Events after the cursor, oldest first.</param>
/// <param name="Cursor">What to send next.</param>
/// <param name="CursorExpired">Events after the cursor sent have already been trimmed: the reader missed some.</param>
public sealed record FeedRead<TEvent>(IReadOnlyList<TEvent> Events, string Cursor, bool CursorExpired);

/// <summary>
/// An append-only feed of events that services follow: kept as long as its retention (trimmed by
/// age), read after a cursor, and waited on when there is nothing new (long polls).
/// </summary>
public interface IEventLog<TEvent> where TEvent : class
{
    /// <summary>Records and announces <paramref name="item"/>.</summary>
    ValueTask AppendAsync(TEvent item, CancellationToken cancellationToken = default);

    /// <summary>
    /// Events after <paramref name="after"/> (every retained one when null), oldest first; when there
    /// are none, waits up to <paramref name="wait"/> for one.
    /// </summary>
    ValueTask<FeedRead<TEvent>> ReadAsync(string? after, TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>The position of the latest event: a reader starting here sees only what comes next.</summary>
    ValueTask<string> CurrentCursorAsync(CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="cursor"/> has the form this log hands out.</summary>
    bool IsValidCursor(string cursor);
}

/// <summary>Shared rules of the event logs.</summary>
public static partial class EventLogRules
{
    /// <summary>Most events returned by one read.</summary>
    public const int PageSize = 500;

    [GeneratedRegex(@"^[0-9]{1,20}-[0-9]{1,20}$")]
    public static partial Regex StreamId();
}

/// <summary>The embedded default: events in this process only, numbered from one.</summary>
public sealed class MemoryEventLog<TEvent>(FeedCodec<TEvent> codec, TimeSpan retention, TimeProvider time) : IEventLog<TEvent>
    where TEvent : class
{
    private readonly Lock _gate = new();
    private readonly LinkedList<(long Sequence, TEvent Event)> _events = new();
    private long _last;
    private long _trimmedThrough;
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask AppendAsync(TEvent item, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource appended;
        lock (_gate)
        {
            var horizon = time.GetUtcNow().Add(-retention).ToUnixTimeMilliseconds();
            while (_events.First is { } oldest && codec.OccurredAt(oldest.Value.Event) < horizon)
            {
                _trimmedThrough = oldest.Value.Sequence;
                _events.RemoveFirst();
            }

            _last++;
            _events.AddLast((_last, codec.WithId(item, _last.ToString(CultureInfo.InvariantCulture))));
            appended = _appended;
            _appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        appended.TrySetResult();
        return ValueTask.CompletedTask;
    }

    public async ValueTask<FeedRead<TEvent>> ReadAsync(string? after, TimeSpan wait, CancellationToken cancellationToken)
    {
        var from = after is null ? 0 : long.Parse(after, CultureInfo.InvariantCulture);
        var started = time.GetTimestamp();
        while (true)
        {
            Task appended;
            lock (_gate)
            {
                // A cursor from a previous run of this process: what it followed is gone.
                var expired = after is not null && (from > _last || from < _trimmedThrough);
                if (from > _last)
                {
                    from = 0;
                }

                var page = _events.Where(entry => entry.Sequence > from).Take(EventLogRules.PageSize).ToList();
                if (page.Count > 0 || after is null || expired || time.GetElapsedTime(started) >= wait)
                {
                    var cursor = page.Count > 0 ? page[^1].Sequence : (after is null ? _last : from);
                    return new FeedRead<TEvent>([.. page.Select(entry => entry.Event)], cursor.ToString(CultureInfo.InvariantCulture), expired);
                }

                appended = _appended.Task;
            }

            try
            {
                await appended.WaitAsync(wait - time.GetElapsedTime(started), time, cancellationToken);
            }
            catch (TimeoutException)
            {
                // One more pass answers an empty page with the same cursor.
            }
        }
    }

    public ValueTask<string> CurrentCursorAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_last.ToString(CultureInfo.InvariantCulture));
        }
    }

    public bool IsValidCursor(string cursor) =>
        cursor.Length <= 19 && long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out _);
}

/// <summary>
/// Shared by every node: events in a Redis stream (trimmed by age with <c>MINID</c>, so late joiners
/// catch up) and announced on pub/sub the moment they are added; long polls on any node wake on the
/// announcement.
/// </summary>
public sealed class RedisEventLog<TEvent>(
    IConnectionMultiplexer redis, string stream, string channel, FeedCodec<TEvent> codec, TimeSpan retention, TimeProvider time)
    : IEventLog<TEvent> where TEvent : class
{
    private readonly RedisChannel _channel = RedisChannel.Literal(channel);
    private readonly Lock _gate = new();
    private TaskCompletionSource _appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _subscribed;

    public async ValueTask AppendAsync(TEvent item, CancellationToken cancellationToken = default)
    {
        var db = redis.GetDatabase();
        var horizon = time.GetUtcNow().Add(-retention).ToUnixTimeMilliseconds();
        var id = (string?)await db.ExecuteAsync("XADD", stream, "MINID", "~", horizon.ToString(CultureInfo.InvariantCulture),
            "*", "e", codec.ToJson(item));
        await db.PublishAsync(_channel, codec.ToJson(codec.WithId(item, id!)));
    }

    public async ValueTask<FeedRead<TEvent>> ReadAsync(string? after, TimeSpan wait, CancellationToken cancellationToken)
    {
        await EnsureSubscribedAsync();
        var started = time.GetTimestamp();
        var db = redis.GetDatabase();
        var expired = after is not null && await IsTrimmedPastAsync(db, after);
        while (true)
        {
            Task appended;
            lock (_gate)
            {
                appended = _appended.Task;
            }

            var entries = await db.StreamRangeAsync(stream, after is null ? "-" : "(" + after, "+", EventLogRules.PageSize);
            var events = new List<TEvent>(entries.Length);
            foreach (var entry in entries)
            {
                if (codec.Parse(entry["e"]) is { } parsed)
                {
                    events.Add(codec.WithId(parsed, entry.Id!));
                }
            }

            if (entries.Length > 0 || after is null || expired || time.GetElapsedTime(started) >= wait)
            {
                var cursor = entries.Length > 0 ? (string)entries[^1].Id! : after ?? await CurrentCursorAsync(cancellationToken);
                return new FeedRead<TEvent>(events, cursor, expired);
            }

            try
            {
                await appended.WaitAsync(wait - time.GetElapsedTime(started), time, cancellationToken);
            }
            catch (TimeoutException)
            {
                // One more read answers an empty page.
            }
        }
    }

    public async ValueTask<string> CurrentCursorAsync(CancellationToken cancellationToken)
    {
        var last = await redis.GetDatabase().StreamRangeAsync(stream, "-", "+", 1, Order.Descending);
        return last.Length > 0 ? (string)last[0].Id! : "0-0";
    }

    public bool IsValidCursor(string cursor) => EventLogRules.StreamId().IsMatch(cursor);

    /// <summary>Whether entries after <paramref name="cursor"/> were trimmed (Redis 7 reports the largest trimmed id).</summary>
    private async Task<bool> IsTrimmedPastAsync(IDatabase db, string cursor)
    {
        try
        {
            var info = (RedisResult[]?)await db.ExecuteAsync("XINFO", "STREAM", stream);
            for (var i = 0; info is not null && i + 1 < info.Length; i += 2)
            {
                if ((string?)info[i] == "max-deleted-entry-id")
                {
                    return Compare((string)info[i + 1]!, cursor) > 0;
                }
            }
        }
        catch (RedisServerException)
        {
            // No stream yet: nothing was trimmed.
        }

        return false;
    }

    private static int Compare(string left, string right)
    {
        static (long, long) Split(string id)
        {
            var dash = id.IndexOf('-');
            return (long.Parse(id.AsSpan(0, dash), CultureInfo.InvariantCulture), long.Parse(id.AsSpan(dash + 1), CultureInfo.InvariantCulture));
        }

        return Split(left).CompareTo(Split(right));
    }

    private Task EnsureSubscribedAsync()
    {
        lock (_gate)
        {
            return _subscribed ??= redis.GetSubscriber().SubscribeAsync(_channel, (_, _) =>
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
