using System.Collections.Concurrent;
using System.Threading.Channels;
using Gatehouse.Identity.Configuration;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;

namespace Gatehouse.Identity.Email;

/// <summary>
/// Messages waiting to leave. A request only puts a message here and moves on; a background loop
/// delivers it, retrying temporary failures with a growing delay, so a slow or absent mail server
/// never holds up a request and a failure ends in the log, not in front of the user.
/// </summary>
/// <remarks>
/// The queue lives in this process: messages not yet delivered when the process stops are lost (and
/// counted in the log). Codes are short-lived and can be requested again, so that is the right trade.
/// </remarks>
public sealed partial class EmailOutbox : BackgroundService
{
    /// <summary>Deliveries in progress at once, including those waiting for their next retry.</summary>
    private const int MaxConcurrentDeliveries = 8;

    private readonly IEmailSender _sender;
    private readonly EmailOptions _settings;
    private readonly TimeProvider _time;
    private readonly ILogger<EmailOutbox> _logger;
    private readonly Channel<EmailMessage> _queue;
    private readonly SemaphoreSlim _deliverySlots = new(MaxConcurrentDeliveries, MaxConcurrentDeliveries);
    private readonly ConcurrentDictionary<Task, byte> _deliveries = new();
    private readonly CancellationTokenSource _abandon = new();

    public EmailOutbox(IEmailSender sender, IOptions<GatehouseOptions> options, TimeProvider time, ILogger<EmailOutbox> logger)
    {
        _sender = sender;
        _settings = options.Value.Email;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<EmailMessage>(new BoundedChannelOptions(_settings.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Queues <paramref name="message"/> for delivery; never waits. False (and a warning) if it cannot be queued.</summary>
    public bool Enqueue(EmailMessage message)
    {
        if (!MimeComposer.IsDeliverable(message.To))
        {
            LogUndeliverable(_logger, message.Subject);
            return false;
        }

        if (!_queue.Writer.TryWrite(message))
        {
            LogQueueFull(_logger, message.Subject, _settings.QueueCapacity);
            return false;
        }

        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogDestination(_logger, Destination(_settings));
        try
        {
            while (true)
            {
                await _deliverySlots.WaitAsync(stoppingToken);
                var message = await _queue.Reader.ReadAsync(stoppingToken);
                var delivery = DeliverAsync(message);
                _deliveries.TryAdd(delivery, 0);
                _ = delivery.ContinueWith(done => _deliveries.TryRemove(done, out _), TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: deliveries in progress are awaited in StopAsync.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        _queue.Writer.TryComplete();
        await using (cancellationToken.Register(() => _abandon.Cancel()))
        {
            await Task.WhenAll(_deliveries.Keys);
        }

        var left = 0;
        while (_queue.Reader.TryRead(out _))
        {
            left++;
        }

        if (left > 0)
        {
            LogLostAtShutdown(_logger, left);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _abandon.Dispose();
        _deliverySlots.Dispose();
    }

    private async Task DeliverAsync(EmailMessage message)
    {
        // Let the loop go on to the next message before this one does any work.
        await Task.Yield();
        try
        {
            var delay = _settings.RetryDelay;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await _sender.SendAsync(message, _abandon.Token);
                    LogDelivered(_logger, message.Subject, attempt);
                    return;
                }
                catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
                {
                    LogAbandoned(_logger, message.Subject);
                    return;
                }
                catch (Exception exception)
                {
                    if (attempt >= _settings.MaxAttempts || IsPermanent(exception))
                    {
                        LogGaveUp(_logger, message.Subject, attempt, exception);
                        return;
                    }

                    LogRetrying(_logger, message.Subject, attempt, delay, exception.Message);
                }

                try
                {
                    await Task.Delay(delay, _time, _abandon.Token);
                }
                catch (OperationCanceledException)
                {
                    LogAbandoned(_logger, message.Subject);
                    return;
                }

                delay *= 2;
            }
        }
        finally
        {
            _deliverySlots.Release();
        }
    }

    private static string Destination(EmailOptions settings) => settings.UsesSmtp
        ? $"the SMTP server {settings.Smtp.Host}:{settings.Smtp.Port} ({settings.Smtp.Security})"
        : $"the pickup folder {Path.GetFullPath(settings.PickupDirectory)} (set Gatehouse:Email:Smtp:Host to send it)";

    /// <summary>A refusal that another try will not change: a 5xx answer or rejected credentials.</summary>
    private static bool IsPermanent(Exception exception) => exception switch
    {
        SmtpCommandException command => (int)command.StatusCode >= 500,
        AuthenticationException => true,
        _ => false,
    };

    [LoggerMessage(EventId = 1407, Level = LogLevel.Information, Message = "Email goes to {Destination}")]
    private static partial void LogDestination(ILogger logger, string destination);

    [LoggerMessage(EventId = 1400, Level = LogLevel.Debug, Message = "Email \"{Subject}\" delivered (attempt {Attempt})")]
    private static partial void LogDelivered(ILogger logger, string subject, int attempt);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Email \"{Subject}\" failed on attempt {Attempt}; retrying in {Delay}: {Reason}")]
    private static partial void LogRetrying(ILogger logger, string subject, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Error, Message = "Email \"{Subject}\" was not delivered after {Attempts} attempt(s)")]
    private static partial void LogGaveUp(ILogger logger, string subject, int attempts, Exception exception);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning, Message = "Email \"{Subject}\" dropped: the outbox holds {Capacity} messages already")]
    private static partial void LogQueueFull(ILogger logger, string subject, int capacity);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Warning, Message = "Email \"{Subject}\" dropped: the recipient is not a valid email address")]
    private static partial void LogUndeliverable(ILogger logger, string subject);

    [LoggerMessage(EventId = 1405, Level = LogLevel.Warning, Message = "Email \"{Subject}\" abandoned: the service is shutting down")]
    private static partial void LogAbandoned(ILogger logger, string subject);

    [LoggerMessage(EventId = 1406, Level = LogLevel.Warning, Message = "{Count} queued email(s) not sent: the service stopped before their turn")]
    private static partial void LogLostAtShutdown(ILogger logger, int count);
}
