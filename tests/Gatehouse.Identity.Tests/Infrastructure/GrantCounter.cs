using System.Diagnostics.Metrics;
using Gatehouse.Identity.Connect;

namespace Gatehouse.Identity.Tests.Infrastructure;

/// <summary>
/// Counts the tokens one node reports on one counter (by default <c>gatehouse.token.grants</c>; the
/// account API's is <see cref="TokenMetrics.AccountTokensInstrument"/>), by the path that issued them
/// (written directly or through the OpenIddict pipeline). Only that node's meter is listened to, so
/// nodes running side by side in the test process do not mix.
/// </summary>
public sealed class GrantCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _fast;
    private long _standard;

    public GrantCounter(IServiceProvider services, string instrumentName = TokenMetrics.GrantsInstrument)
    {
        var meters = services.GetRequiredService<IMeterFactory>();
        _ = services.GetRequiredService<TokenMetrics>(); // creates the meter if no request has yet
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Meter.Name == TokenMetrics.MeterName && instrument.Name == instrumentName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "path")
                {
                    Interlocked.Add(ref (string?)tag.Value == TokenMetrics.FastPath ? ref _fast : ref _standard, value);
                }
            }
        });
        _listener.Start();
    }

    public long Fast => Interlocked.Read(ref _fast);

    public long Standard => Interlocked.Read(ref _standard);

    public void Dispose() => _listener.Dispose();
}
