using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gatehouse.ResourceServer.Tokens;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.ResourceServer.Revocation;

/// <summary>
/// Reads revocations from the identity service's HTTP feed, for services that cannot reach its Redis:
/// a long poll that returns as soon as an event is recorded, with a cursor so nothing is missed
/// between polls. The service authenticates with client credentials and the
/// <c>gatehouse:revocations</c> scope.
/// </summary>
internal sealed partial class HttpRevocationFeedReader(
    IOptions<GatehouseResourceServerOptions> options,
    AuthorityMetadata metadata,
    AuthorityBackchannel backchannel,
    RevocationList revocations,
    TimeProvider time,
    ILogger<HttpRevocationFeedReader> logger) : BackgroundService
{
    private readonly GatehouseResourceServerOptions _options = options.Value;
    private readonly ServiceTokenClient _tokens = new(
        metadata, backchannel, time, options.Value.Revocation.ClientId!, options.Value.Revocation.ClientSecret!, RevocationFeed.Scope);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? cursor = null;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var page = await PollAsync(cursor, stoppingToken);
                foreach (var revocation in page.Events)
                {
                    if (revocation is { IsUnderstood: true })
                    {
                        revocations.Apply(revocation);
                    }
                }

                cursor = page.Cursor;
                if (!revocations.Status.IsReachable)
                {
                    LogFeedReachable(logger);
                }

                revocations.Status.MarkReachable();
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is HttpRequestException or JsonException or OperationCanceledException or InvalidOperationException)
            {
                if (revocations.Status.IsReachable || failures == 0)
                {
                    LogFeedUnreachable(logger, exception.Message);
                }

                revocations.Status.MarkUnreachable("HTTP feed: " + exception.Message);
                failures++;
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(failures, 10) * 500), time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<RevocationFeedPage> PollAsync(string? cursor, CancellationToken stoppingToken)
    {
        var bearer = await _tokens.GetTokenAsync(stoppingToken);
        var query = new StringBuilder(RevocationFeed.HttpPath)
            .Append("?wait=").Append((int)_options.Revocation.PollWait.TotalSeconds);
        if (cursor is not null)
        {
            query.Append("&after=").Append(Uri.EscapeDataString(cursor));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(AuthorityMetadata.EnsureTrailingSlash(_options.Authority!), query.ToString()));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_options.Revocation.PollWait + TimeSpan.FromSeconds(15));
        using var response = await backchannel.Client.SendAsync(request, timeout.Token);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            _tokens.Forget();
            throw new HttpRequestException($"the feed refused this service's token ({(int)response.StatusCode}); check its client and the {RevocationFeed.Scope} scope");
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync(RevocationJson.Default.RevocationFeedPage, timeout.Token)
            ?? throw new JsonException("the feed answered an empty body");
    }

    [LoggerMessage(EventId = 4111, Level = LogLevel.Information, Message = "Revocation feed (HTTP) is reachable")]
    private static partial void LogFeedReachable(ILogger logger);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Warning, Message = "Revocation feed (HTTP) is unreachable: {Reason}")]
    private static partial void LogFeedUnreachable(ILogger logger, string reason);
}
