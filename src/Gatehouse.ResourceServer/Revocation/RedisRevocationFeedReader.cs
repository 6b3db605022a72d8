using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gatehouse.ResourceServer.Revocation;

/// <summary>
/// Reads revocations from the identity service's Redis: each event arrives at once on pub/sub, and
/// the stream is read from the last seen id at start (late joiner), after a reconnect and every
/// couple of seconds as a safety net for a message pub/sub dropped.
/// </summary>
internal sealed partial class RedisRevocationFeedReader(
    IOptions<GatehouseResourceServerOptions> options,
    RevocationList revocations,
    TimeProvider time,
    ILogger<RedisRevocationFeedReader> logger) : BackgroundService
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(2);
    private readonly Lock _gate = new();
    private StreamPosition _last = StreamPosition.Start;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var configuration = ConfigurationOptions.Parse(options.Value.Revocation.RedisConnection!);
        configuration.AbortOnConnectFail = false;
        using var redis = await ConnectionMultiplexer.ConnectAsync(configuration);
        await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(RevocationFeed.RedisChannel(options.Value.Revocation.RedisKeyPrefix)), (_, message) =>
        {
            if (RevocationEvent.TryParse(message) is { } revocation)
            {
                revocations.Apply(revocation);
                Advance(StreamPosition.Parse(revocation.Id));
            }
        });

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!redis.IsConnected)
                {
                    throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "Redis is not connected");
                }

                await CatchUpAsync(redis.GetDatabase());
                if (!revocations.Status.IsReachable)
                {
                    LogFeedReachable(logger);
                }

                revocations.Status.MarkReachable();
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException)
            {
                if (revocations.Status.IsReachable)
                {
                    LogFeedUnreachable(logger, exception.Message);
                }

                revocations.Status.MarkUnreachable("Redis: " + exception.Message);
            }

            try
            {
                await Task.Delay(CheckInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task CatchUpAsync(IDatabase db)
    {
        while (true)
        {
            StreamPosition from;
            lock (_gate)
            {
                from = _last;
            }

            var entries = await db.StreamRangeAsync(RevocationFeed.RedisStream(options.Value.Revocation.RedisKeyPrefix), from.ExclusiveLowerBound, "+", count: 500);
            foreach (var entry in entries)
            {
                if (RevocationEvent.TryParse(entry[RevocationFeed.RedisStreamField]) is { } revocation)
                {
                    revocations.Apply(revocation);
                }

                Advance(StreamPosition.Parse(entry.Id));
            }

            if (entries.Length < 500)
            {
                return;
            }
        }
    }

    private void Advance(StreamPosition position)
    {
        lock (_gate)
        {
            if (position.CompareTo(_last) > 0)
            {
                _last = position;
            }
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Revocation feed (Redis) is reachable")]
    private static partial void LogFeedReachable(ILogger logger);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Revocation feed (Redis) is unreachable: {Reason}")]
    private static partial void LogFeedUnreachable(ILogger logger, string reason);
}

/// <summary>A Redis stream id (<c>milliseconds-sequence</c>), ordered.</summary>
internal readonly record struct StreamPosition(long Milliseconds, long Sequence) : IComparable<StreamPosition>
{
    public static readonly StreamPosition Start = new(0, 0);

    public string ExclusiveLowerBound => this == Start ? "-" : $"({Milliseconds}-{Sequence}";

    public static StreamPosition Parse(string? id)
    {
        if (id is null)
        {
            return Start;
        }

        var dash = id.IndexOf('-');
        return dash > 0 && long.TryParse(id.AsSpan(0, dash), out var ms) && long.TryParse(id.AsSpan(dash + 1), out var seq)
            ? new StreamPosition(ms, seq)
            : Start;
    }

    public int CompareTo(StreamPosition other) =>
        Milliseconds != other.Milliseconds ? Milliseconds.CompareTo(other.Milliseconds) : Sequence.CompareTo(other.Sequence);
}
