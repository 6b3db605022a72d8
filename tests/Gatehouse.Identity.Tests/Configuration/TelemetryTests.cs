using Gatehouse.Identity.Tests.Infrastructure;
using OpenTelemetry.Trace;

namespace Gatehouse.Identity.Tests.Configuration;

public sealed class TelemetryTests
{
    [Fact]
    public async Task WithoutAnOtlpEndpoint_NoTelemetryPipelineIsBuilt()
    {
        await using var storage = await TestStorage.CreateAsync();
        await using var node = new GatehouseApp(storage);

        Assert.Null(node.Services.GetService<TracerProvider>());
    }

    [Fact]
    public async Task WithAnOtlpEndpoint_TracesAreExported()
    {
        await using var storage = await TestStorage.CreateAsync();
        // Nothing listens there: the exporter's failures stay inside it.
        await using var node = new GatehouseApp(storage, new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9" });

        Assert.NotNull(node.Services.GetService<TracerProvider>());
    }
}
