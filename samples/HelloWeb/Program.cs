var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();

app.UseDefaultFiles();
app.UseStaticFiles();
app.MapGet("/api/hello", () => new
{
    message = "Hello from a container built without a daemon",
    user = Environment.GetEnvironmentVariable("APP_UID") is { } uid ? $"app ({uid})" : Environment.UserName,
    inContainer = Environment.GetEnvironmentVariable("DOTNET_RUNNING_IN_CONTAINER") == "true",
});

app.Run();
