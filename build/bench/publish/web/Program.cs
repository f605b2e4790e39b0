using Amazon.S3;
using Azure.Storage.Blobs;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Serilog;
using SkiaSharp;
using WebBench;

// build/bench/publish.sh edits the next line for its "one-line code change" phase.
const string BuildStamp = "bench build";

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddSerilog(logger => logger.ReadFrom.Configuration(builder.Configuration).WriteTo.Console());
builder.Services.AddDbContext<ShopContext>(options =>
    options.UseNpgsql(builder.Configuration.GetConnectionString("Shop") ?? "Host=localhost;Database=shop;Username=shop"));
builder.Services.AddEndpointsApiExplorer();
builder.Services.AddSwaggerGen();
builder.Services.AddGrpc();
builder.Services.AddSingleton<IAmazonS3>(_ => new AmazonS3Client(new AmazonS3Config
{
    ServiceURL = builder.Configuration["S3:ServiceUrl"] ?? "http://localhost:9000",
    ForcePathStyle = true,
}));
builder.Services.AddSingleton(_ => new BlobServiceClient(builder.Configuration.GetConnectionString("Blobs") ?? "UseDevelopmentStorage=true"));

var app = builder.Build();
app.UseSerilogRequestLogging();
app.UseDefaultFiles();
app.UseStaticFiles();
app.UseSwagger();
app.UseSwaggerUI();

app.MapGrpcService<GreeterService>();
app.MapGet("/version", () => BuildStamp);
app.MapGet("/products", async (ShopContext db) => await db.Products.OrderBy(p => p.Name).Take(50).ToListAsync());
app.MapGet("/buckets", async (IAmazonS3 s3) => (await s3.ListBucketsAsync()).Buckets?.Select(b => b.BucketName) ?? []);
app.MapGet("/containers", (BlobServiceClient blobs) => blobs.GetBlobContainers().Take(20).Select(c => c.Name).ToList());
app.MapGet("/badge.png", (string? text) =>
{
    using var surface = SKSurface.Create(new SKImageInfo(240, 40));
    surface.Canvas.Clear(new SKColor(0x1e, 0x6f, 0xd9));
    using var font = new SKFont(SKTypeface.Default, 18);
    using var paint = new SKPaint { Color = SKColors.White, IsAntialias = true };
    surface.Canvas.DrawText(text ?? BuildStamp, 10, 27, font, paint);
    using SKImage image = surface.Snapshot();
    using SKData png = image.Encode(SKEncodedImageFormat.Png, 100);
    return Results.File(png.ToArray(), "image/png");
});

app.Run();

namespace WebBench
{
    public sealed class Product
    {
        public int Id { get; set; }
        public string Name { get; set; } = "";
        public decimal Price { get; set; }
    }

    public sealed class ShopContext(DbContextOptions<ShopContext> options) : DbContext(options)
    {
        public DbSet<Product> Products => Set<Product>();
    }

    public sealed class GreeterService : Greeter.GreeterBase
    {
        public override Task<HelloReply> SayHello(HelloRequest request, ServerCallContext context)
            => Task.FromResult(new HelloReply { Message = $"Hello, {request.Name}" });
    }
}
