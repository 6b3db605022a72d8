using StackExchange.Redis;

namespace Gatehouse.Identity.Security;

/// <summary>
/// A Redis pub/sub channel on which one node announces a change that every node must apply (a client
/// registration, the signing keys). A node whose connection comes back applies the change anyway, in
/// case it missed an announcement; when Redis is away the change itself is saved and the nodes catch up
/// as each subclass says.
/// </summary>
public abstract partial class RedisAnnouncements(IConnectionMultiplexer redis, ILogger logger) : IHostedService
{
    protected abstract RedisChannel Channel { get; }

    /// <summary>Applies a change announced by any node (or possibly missed while disconnected).</summary>
    protected abstract void OnAnnounced(RedisValue message);

    protected async ValueTask AnnounceAsync(RedisValue message)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, message);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            LogPublishFailed(logger, Channel.ToString(), exception);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored += OnConnectionRestored;
        try
        {
            await redis.GetSubscriber().SubscribeAsync(Channel, (_, message) => OnAnnounced(message));
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // Start anyway, as with the rest of Redis.
            LogSubscribeFailed(logger, Channel.ToString(), exception);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionRestored -= OnConnectionRestored;
        try
        {
            await redis.GetSubscriber().UnsubscribeAsync(Channel);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Stopping: nothing left to unsubscribe from (the connection may already be closed and disposed
            // when the host stops its services after releasing the container's singletons).
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) => OnAnnounced(RedisValue.Null);

    [LoggerMessage(EventId = 1210, Level = LogLevel.Warning, Message = "Could not announce a change on {Channel}; other nodes catch up later")]
    private static partial void LogPublishFailed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Warning, Message = "Could not subscribe to {Channel}; changes made on other nodes apply here later")]
    private static partial void LogSubscribeFailed(ILogger logger, string channel, Exception exception);
}
