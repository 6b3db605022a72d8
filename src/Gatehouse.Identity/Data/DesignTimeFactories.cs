using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Gatehouse.Identity.Data;

// Used only by 'dotnet ef migrations add'; the running service configures contexts from configuration.
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteGatehouseDbContext>
{
    public SqliteGatehouseDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteGatehouseDbContext>()
            .UseSqlite("Data Source=design-time.db", sqlite => sqlite.MigrationsAssembly(typeof(GatehouseDbContext).Assembly.FullName))
            .UseOpenIddict()
            .Options);
}

internal sealed class PostgreSqlDesignTimeFactory : IDesignTimeDbContextFactory<PostgreSqlGatehouseDbContext>
{
    public PostgreSqlGatehouseDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgreSqlGatehouseDbContext>()
            .UseNpgsql("Host=localhost;Database=gatehouse_design")
            .UseOpenIddict()
            .Options);
}
