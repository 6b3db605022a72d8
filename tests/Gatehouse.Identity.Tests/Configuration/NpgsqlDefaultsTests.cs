using Gatehouse.Identity.Extensions;
using Npgsql;

namespace Gatehouse.Identity.Tests.Configuration;

public sealed class NpgsqlDefaultsTests
{
    [Fact]
    public void ConnectionString_WithoutPoolingSettings_GetsNoResetOnCloseAndAutoPrepare()
    {
        var applied = new NpgsqlConnectionStringBuilder(NpgsqlDefaults.Apply("Host=db;Database=gatehouse;Username=gh"));

        Assert.True(applied.NoResetOnClose);
        Assert.Equal(NpgsqlDefaults.MaxAutoPrepare, applied.MaxAutoPrepare);
        Assert.Equal("db", applied.Host);
    }

    [Theory]
    [InlineData("Host=db;No Reset On Close=false;Max Auto Prepare=0")]
    [InlineData("Host=db;noresetonclose=false;MAXAUTOPREPARE=0")]
    public void ConnectionString_WithTheOperatorsPoolingSettings_KeepsThem(string connectionString)
    {
        var applied = new NpgsqlConnectionStringBuilder(NpgsqlDefaults.Apply(connectionString));

        Assert.False(applied.NoResetOnClose);
        Assert.Equal(0, applied.MaxAutoPrepare);
    }
}
