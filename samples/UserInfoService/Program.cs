using Gatehouse.Samples.UserInfo;
using Gatehouse.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddUserInfoService();

var app = builder.Build();
await app.UseUserInfoServiceAsync();
await app.RunAsync();
