using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Gatehouse.ResourceServer;
using Gatehouse.ResourceServer.Tokens;
using Gatehouse.ResourceServer.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Samples.UserInfo.Profiles;

/// <summary>
/// Keeps the profile store in step with the identity service: reads the user snapshot once (and
/// again if it fell further behind than the feed keeps), then follows the change feed by long poll.
/// </summary>
public sealed partial class UserFeedFollower(
    IServiceScopeFactory scopes,
    IOptions<GatehouseResourceServerOptions> options,
    IOptions<UserInfoOptions> userInfo,
    AuthorityMetadata metadata,
    AuthorityBackchannel backchannel,
    TimeProvider time,
    ILogger<UserFeedFollower> logger) : BackgroundService
{
    private readonly ServiceTokenClient _tokens = new(metadata, backchannel, time, userInfo.Value.ClientId!, userInfo.Value.ClientSecret!, UserFeed.Scope);
    private readonly Uri _authority = options.Value.Authority!.AbsoluteUri.EndsWith('/') ? options.Value.Authority : new Uri(options.Value.Authority.AbsoluteUri + "/");

    /// <summary>Set once the first snapshot is stored: the service knows every user.</summary>
    public bool HasSnapshot { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var cursor = await ReadCursorAsync(stoppingToken) ?? await ReadSnapshotAsync(stoppingToken);
                HasSnapshot = true;
                var page = await GetAsync(UserEventJson.Default.UserEventPage, $"feeds/users?wait=20&after={Uri.EscapeDataString(cursor)}", stoppingToken);
                if (page is null)
                {
                    // 410 Gone: too far behind; start again from a snapshot.
                    await SaveCursorAsync(null, stoppingToken);
                    continue;
                }

                await ApplyAsync(page.Events, page.Cursor, stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is HttpRequestException or System.Text.Json.JsonException or OperationCanceledException or DbUpdateException)
            {
                LogFeedFailed(logger, exception.Message);
                failures++;
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(failures, 10) * 500), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task<string> ReadSnapshotAsync(CancellationToken cancellationToken)
    {
        string? cursor = null;
        string? afterUser = null;
        do
        {
            var path = "feeds/users/snapshot" + (afterUser is null ? "" : "?after_user=" + Uri.EscapeDataString(afterUser));
            var page = await GetAsync(UserEventJson.Default.UserSnapshotPage, path, cancellationToken)
                ?? throw new HttpRequestException("the snapshot is gone");
            cursor ??= page.Cursor;
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ProfileStore>();
            foreach (var user in page.Users)
            {
                await UpsertAsync(db, user);
            }

            await db.SaveChangesAsync(cancellationToken);
            afterUser = page.NextUser;
        }
        while (afterUser is not null);

        await SaveCursorAsync(cursor, cancellationToken);
        LogSnapshotRead(logger);
        return cursor;
    }

    private async Task ApplyAsync(IReadOnlyList<UserEvent> events, string cursor, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProfileStore>();
        foreach (var change in events.Where(change => change.Version == UserEvent.CurrentVersion))
        {
            if (change.Type == UserEvent.Deleted)
            {
                if (await db.Profiles.FindAsync([change.User.Id], cancellationToken) is { } gone)
                {
                    db.Profiles.Remove(gone);
                }
            }
            else
            {
                await UpsertAsync(db, change.User);
            }
        }

        var position = await db.FeedPositions.FindAsync([FeedPosition.UserFeed], cancellationToken);
        if (position is null)
        {
            db.FeedPositions.Add(new FeedPosition { Feed = FeedPosition.UserFeed, Cursor = cursor });
        }
        else
        {
            position.Cursor = cursor;
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task UpsertAsync(ProfileStore db, UserProfile user)
    {
        var stored = await db.Profiles.FindAsync(user.Id);
        if (stored is null)
        {
            stored = new StoredProfile { UserId = user.Id };
            db.Profiles.Add(stored);
        }

        stored.DisplayName = user.DisplayName;
        stored.Email = user.Email;
        stored.Picture = user.Picture;
        stored.UpdatedAt = time.GetUtcNow().UtcDateTime;
    }

    private async Task<string?> ReadCursorAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProfileStore>();
        return (await db.FeedPositions.AsNoTracking().FirstOrDefaultAsync(p => p.Feed == FeedPosition.UserFeed, cancellationToken))?.Cursor;
    }

    private async Task SaveCursorAsync(string? cursor, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ProfileStore>();
        await db.FeedPositions.Where(p => p.Feed == FeedPosition.UserFeed).ExecuteDeleteAsync(cancellationToken);
        if (cursor is not null)
        {
            db.FeedPositions.Add(new FeedPosition { Feed = FeedPosition.UserFeed, Cursor = cursor });
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>GETs a feed document; null for 410 Gone.</summary>
    private async Task<T?> GetAsync<T>(System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string path, CancellationToken cancellationToken)
        where T : class
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_authority, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await _tokens.GetTokenAsync(cancellationToken));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(40));
        using var response = await backchannel.Client.SendAsync(request, timeout.Token);
        if (response.StatusCode == HttpStatusCode.Gone)
        {
            return null;
        }

        if (response.StatusCode is HttpStatusCode.Unauthorized)
        {
            _tokens.Forget();
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync(type, timeout.Token) ?? throw new System.Text.Json.JsonException("empty feed answer");
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "User feed: {Reason}; retrying")]
    private static partial void LogFeedFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "User snapshot stored; following changes")]
    private static partial void LogSnapshotRead(ILogger logger);
}
