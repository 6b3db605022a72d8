using Gatehouse.Identity.Accounts;
using Gatehouse.Identity.Admin;
using Gatehouse.Identity.Configuration;
using Gatehouse.Identity.Extensions;
using Gatehouse.ServiceDefaults;

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddServiceDefaults();
    builder.AddGatehouseIdentity();

    var app = builder.Build();
    app.UseGatehouseIdentity();
    app.MapAccountsApi();
    app.MapAccountsApiReference();
    app.MapAdminApi();
    app.MapDefaultEndpoints();
    app.Run();
    return 0;
}
catch (GatehouseConfigurationException exception)
{
    Console.Error.WriteLine(exception.Message);
    return 2;
}

public partial class Program;
