using System.Diagnostics.Metrics;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Data;
using Gatehouse.Identity.Data.Connect;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// Sends the stored back-channel logout notices: at once when one is stored, then every poll interval
/// for those due. A failed attempt (no answer, a timeout, a status other than 2xx) is retried after a
/// delay that doubles up to the maximum; a notice still undelivered when its time is up is dropped
/// with an error in the log and the <c>gatehouse.backchannel_logout.deliveries</c> counter
/// (<c>outcome=gave_up</c>). Every node runs this; a node claims a notice before sending it, so
/// each attempt is made once.
/// </summary>
public sealed partial class BackChannelLogoutOutbox : BackgroundService
{
    private const int BatchSize = 32;

    /// <summary>How long a claimed notice stays invisible to other nodes while this one sends it.</summary>
    private static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(2);

    private readonly IServiceScopeFactory _scopes;
    private readonly IHttpClientFactory _httpClients;
    private readonly BackChannelLogoutOptions _settings;
    private readonly TimeProvider _time;
    private readonly ILogger<BackChannelLogoutOutbox> _logger;
    private readonly Counter<long> _deliveries;
    private readonly SemaphoreSlim _wake = new(0, 1);

    public BackChannelLogoutOutbox(
        IServiceScopeFactory scopes, IHttpClientFactory httpClients, IOptions<GatehouseOptions> options, TimeProvider time,
        IMeterFactory meters, ILogger<BackChannelLogoutOutbox> logger)
    {
        _scopes = scopes;
        _httpClients = httpClients;
        _settings = options.Value.BackChannelLogout;
        _time = time;
        _logger = logger;
        _deliveries = meters.Create(TokenMetrics.MeterName).CreateCounter<long>(
            "gatehouse.backchannel_logout.deliveries", unit: "{attempt}", description: "Back-channel logout attempts, by outcome (delivered, retry, gave_up).");
    }

    /// <summary>A notice was stored: look now rather than at the next poll.</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await DeliverDueAsync(stoppingToken) == BatchSize)
                {
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogPassFailed(_logger, exception);
            }

            try
            {
                await _wake.WaitAsync(_settings.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Sends the notices due now; returns how many it found.</summary>
    private async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        List<BackChannelLogoutDelivery> due;
        await using (var scope = _scopes.CreateAsyncScope())
        {
            var now = _time.GetUtcNow().UtcDateTime;
            due = await scope.ServiceProvider.GetRequiredService<GatehouseDbContext>().BackChannelLogoutDeliveries.AsNoTracking()
                .Where(d => d.NextAttemptAt <= now)
                .OrderBy(d => d.NextAttemptAt)
                .Take(BatchSize)
                .ToListAsync(cancellationToken);
        }

        await Task.WhenAll(due.Select(delivery => AttemptAsync(delivery, cancellationToken)));
        return due.Count;
    }

    private async Task AttemptAsync(BackChannelLogoutDelivery delivery, CancellationToken cancellationToken)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        var now = _time.GetUtcNow().UtcDateTime;
        var claimed = await db.BackChannelLogoutDeliveries
            .Where(d => d.Id == delivery.Id && d.NextAttemptAt == delivery.NextAttemptAt)
            .ExecuteUpdateAsync(set => set.SetProperty(d => d.NextAttemptAt, now + ClaimLease), cancellationToken);
        if (claimed == 0)
        {
            return; // another node has it
        }

        try
        {
            await AttemptClaimedAsync(scope, db, delivery, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping in the middle of an attempt: hand the notice back now, so that this node after a
            // restart, or another node, sends it at once instead of after the claim's lease.
            using var release = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await db.BackChannelLogoutDeliveries.Where(d => d.Id == delivery.Id)
                .ExecuteUpdateAsync(set => set.SetProperty(d => d.NextAttemptAt, _time.GetUtcNow().UtcDateTime), release.Token);
            throw;
        }
    }

    private async Task AttemptClaimedAsync(AsyncServiceScope scope, GatehouseDbContext db, BackChannelLogoutDelivery delivery, CancellationToken cancellationToken)
    {
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var application = await applications.FindByClientIdAsync(delivery.ClientId, cancellationToken);
        if (application is null
            || !(await applications.GetSettingsAsync(application, cancellationToken)).TryGetValue(ClientRegistration.BackChannelLogoutUriSetting, out var uri))
        {
            // The client or its back-channel URI is gone: nobody to tell.
            await db.BackChannelLogoutDeliveries.Where(d => d.Id == delivery.Id).ExecuteDeleteAsync(cancellationToken);
            return;
        }

        var attempt = delivery.Attempts + 1;
        var failure = await SendAsync(scope.ServiceProvider.GetRequiredService<BackChannelLogout>(), delivery, uri, cancellationToken);
        var now = _time.GetUtcNow().UtcDateTime;
        if (failure is null)
        {
            await db.BackChannelLogoutDeliveries.Where(d => d.Id == delivery.Id).ExecuteDeleteAsync(cancellationToken);
            Count("delivered");
            LogDelivered(_logger, delivery.ClientId, attempt);
            return;
        }

        if (now >= delivery.GiveUpAt)
        {
            await db.BackChannelLogoutDeliveries.Where(d => d.Id == delivery.Id).ExecuteDeleteAsync(cancellationToken);
            Count("gave_up");
            LogGaveUp(_logger, delivery.ClientId, attempt, now - delivery.CreatedAt, failure);
            return;
        }

        var delay = TimeSpan.FromTicks(Math.Min(_settings.FirstRetryDelay.Ticks << Math.Min(attempt - 1, 20), _settings.MaxRetryDelay.Ticks));
        var next = now + delay > delivery.GiveUpAt ? delivery.GiveUpAt : now + delay;
        var error = failure.Length > 200 ? failure[..200] : failure;
        await db.BackChannelLogoutDeliveries.Where(d => d.Id == delivery.Id).ExecuteUpdateAsync(set => set
            .SetProperty(d => d.Attempts, attempt)
            .SetProperty(d => d.NextAttemptAt, next)
            .SetProperty(d => d.LastError, error), cancellationToken);
        Count("retry");
        LogRetry(_logger, delivery.ClientId, attempt, failure, delay);
    }

    /// <summary>Null when the client accepted the notice; otherwise what went wrong.</summary>
    private async Task<string?> SendAsync(BackChannelLogout backChannel, BackChannelLogoutDelivery delivery, string uri, CancellationToken cancellationToken)
    {
        var token = backChannel.CreateLogoutToken(delivery.ClientId, delivery.Subject, delivery.SessionId, delivery.Issuer);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.Timeout);
        try
        {
            using var response = await _httpClients.CreateClient(BackChannelLogout.HttpClientName).PostAsync(
                uri, new FormUrlEncodedContent([new("logout_token", token)]), timeout.Token);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return exception is OperationCanceledException ? $"no answer within {_settings.Timeout}" : exception.Message;
        }
    }

    private void Count(string outcome) => _deliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    [LoggerMessage(EventId = 4110, Level = LogLevel.Information, Message = "Back-channel logout delivered to {ClientId} (attempt {Attempt})")]
    private static partial void LogDelivered(ILogger logger, string clientId, int attempt);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Warning, Message = "Back-channel logout to {ClientId} failed (attempt {Attempt}): {Reason}; retrying in {Delay}")]
    private static partial void LogRetry(ILogger logger, string clientId, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 4113, Level = LogLevel.Error, Message = "Back-channel logout to {ClientId} given up after {Attempts} attempts over {Elapsed}: {Reason}")]
    private static partial void LogGaveUp(ILogger logger, string clientId, int attempts, TimeSpan elapsed, string reason);

    [LoggerMessage(EventId = 4114, Level = LogLevel.Error, Message = "A pass over the back-channel logout outbox failed; the next one tries again")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
