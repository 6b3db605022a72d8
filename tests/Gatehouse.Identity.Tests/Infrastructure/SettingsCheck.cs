using Gatehouse.Identity.Configuration;
using Microsoft.Extensions.Configuration;

namespace Gatehouse.Identity.Tests.Infrastructure;

/// <summary>The start-up check of the <c>Gatehouse</c> section, run on a handful of settings.</summary>
public static class SettingsCheck
{
    public static List<string> ProblemsWith(params (string Key, string? Value)[] settings)
    {
        var options = new GatehouseOptions();
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(setting => new KeyValuePair<string, string?>(setting.Key, setting.Value)))
            .Build().GetSection(GatehouseOptions.Section).Bind(options);
        return GatehouseOptionsValidator.Check(options);
    }
}
