namespace Gatehouse.Identity.Configuration;

/// <summary>
/// A setting is missing or wrong. Thrown while the host is being built, so the process stops before
/// it listens, with a message that names each offending key.
/// </summary>
public sealed class GatehouseConfigurationException(IReadOnlyList<string> problems)
    : Exception("Gatehouse cannot start because of its configuration:" + Environment.NewLine +
                string.Join(Environment.NewLine, problems.Select(problem => "  - " + problem)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
