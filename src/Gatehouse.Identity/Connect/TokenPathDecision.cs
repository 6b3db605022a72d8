using OpenIddict.Server;

namespace Gatehouse.Identity.Connect;

/// <summary>
/// Whether a path that issues tokens without (part of) OpenIddict's pipeline may run: decided once,
/// from its switch and the OpenIddict server as configured, and again after <see cref="Reset"/> (the
/// server's options were rebuilt, as when the signing key changes). Each path decides on its own.
/// </summary>
/// <typeparam name="TSettings">What the path reads from the configuration, fixed once it is found usable.</typeparam>
/// <param name="logActive">Logs that the path runs.</param>
/// <param name="logSwitchedOff">Logs that its switch is off.</param>
/// <param name="logDisabled">Logs, as a warning, why it cannot run.</param>
public abstract class TokenPathDecision<TSettings>(Action logActive, Action logSwitchedOff, Action<string> logDisabled)
    where TSettings : class
{
    private readonly Lock _gate = new();
    private Decision? _decision;

    /// <summary>The path's settings, or null when it is switched off or cannot run.</summary>
    public TSettings? Settings => (_decision ?? Decide()).Settings;

    /// <summary>Why the path does not run (empty when it does).</summary>
    public IReadOnlyList<string> Reasons => (_decision ?? Decide()).Reasons;

    public bool IsActive => Settings is not null;

    /// <summary>The configuration key of the path's switch.</summary>
    protected abstract string SwitchKey { get; }

    /// <summary>Whether the path's switch is on.</summary>
    protected abstract bool IsSwitchedOn { get; }

    /// <summary>Decide again on next use: the server's options were rebuilt (a new signing key).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _decision = null;
        }
    }

    /// <summary>The reason given for an OpenIddict handler the path does not know.</summary>
    protected static string NotKnown(OpenIddictServerHandlerDescriptor handler) =>
        $"the OpenIddict handler {handler.ServiceDescriptor.ServiceType.FullName} ({handler.ContextType.Name}) is not known to it";

    /// <summary>The settings when the path can run; otherwise null, with each reason added to <paramref name="reasons"/>.</summary>
    protected abstract TSettings? Check(List<string> reasons);

    private Decision Decide()
    {
        lock (_gate)
        {
            if (_decision is null)
            {
                var reasons = new List<string>();
                var switchedOff = !IsSwitchedOn;
                var settings = switchedOff ? null : Check(reasons);
                if (switchedOff)
                {
                    reasons.Add($"{SwitchKey} is false");
                }

                _decision = new Decision(reasons.Count == 0 ? settings : null, reasons);
                if (_decision.Settings is not null)
                {
                    logActive();
                }
                else if (switchedOff)
                {
                    logSwitchedOff();
                }
                else
                {
                    logDisabled(string.Join("; ", reasons));
                }
            }

            return _decision;
        }
    }

    private sealed record Decision(TSettings? Settings, IReadOnlyList<string> Reasons);
}

/// <summary>Takes (and logs) a path's decision when the service starts, not on the first request.</summary>
internal sealed class DecideAtStartup<TSettings>(TokenPathDecision<TSettings> decision) : IHostedService
    where TSettings : class
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = decision.IsActive;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
