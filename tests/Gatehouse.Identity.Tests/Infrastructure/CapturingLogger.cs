using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Identity.Tests.Infrastructure;

/// <summary>A logger that keeps what it is told, for tests that assert on what was logged.</summary>
public sealed class CapturingLogger<T> : ILogger<T>
{
    public sealed record Entry(EventId EventId, LogLevel Level, string Message, Exception? Exception);

    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => _entries.ToArray();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _entries.Enqueue(new Entry(eventId, logLevel, formatter(state, exception), exception));

    /// <summary>Waits until an entry with <paramref name="eventId"/> is logged and returns it.</summary>
    public async Task<Entry> WaitForAsync(int eventId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            if (_entries.FirstOrDefault(entry => entry.EventId.Id == eventId) is { } found)
            {
                return found;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"Nothing was logged with event id {eventId}; logged: {string.Join(" | ", _entries.Select(entry => $"{entry.EventId.Id} {entry.Message}"))}");
    }
}
