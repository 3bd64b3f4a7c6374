using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Polly;
using RetryAnalyzers.Runtime;

// A local "provider" on 127.0.0.1 that is rate-limited: it answers 429 twice, then 200.
var port = FreePort();
var url = $"http://127.0.0.1:{port}/v1/chat/completions";
using var listener = new HttpListener();
listener.Prefixes.Add($"http://127.0.0.1:{port}/");
listener.Start();
var served = 0;
var server = Task.Run(async () =>
{
    while (listener.IsListening)
    {
        HttpListenerContext context;
        try
        {
            context = await listener.GetContextAsync();
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            return;
        }

        var n = Interlocked.Increment(ref served);
        context.Response.StatusCode = n <= 2 ? 429 : 200;
        var body = System.Text.Encoding.UTF8.GetBytes(n <= 2 ? "rate limited" : "{\"answer\":42}");
        await context.Response.OutputStream.WriteAsync(body);
        context.Response.Close();
    }
});

Console.WriteLine("RetryAnalyzers demo");
Console.WriteLine($"provider: {url} (answers 429, 429, then 200)");
Console.WriteLine();
Console.WriteLine("Jittered backoff, base 1 s: five draws of the first three delays (each caller gets its own):");
for (var caller = 1; caller <= 5; caller++)
{
    var delays = JitteredBackoff.Delays(TimeSpan.FromSeconds(1), retryCount: 3).Select(d => $"{d.TotalMilliseconds,6:0} ms");
    Console.WriteLine($"  caller {caller}: {string.Join("  ", delays)}");
}

Console.WriteLine();
Console.WriteLine("Calling the provider through AddJitteredRetry (base 200 ms, cap 2 s):");
using var http = new HttpClient();
var clock = Stopwatch.StartNew();
var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
    .AddJitteredRetry(new JitteredRetryStrategyOptions<HttpResponseMessage>
    {
        Delay = TimeSpan.FromMilliseconds(200),
        MaxDelay = TimeSpan.FromSeconds(2),
        ShouldHandle = new PredicateBuilder<HttpResponseMessage>().HandleResult(r => r.StatusCode == HttpStatusCode.TooManyRequests),
        OnRetry = args =>
        {
            Console.WriteLine($"  attempt {args.AttemptNumber + 1}: {(int)args.Outcome.Result!.StatusCode} -> retry in {args.RetryDelay.TotalMilliseconds:0} ms");
            return default;
        },
    })
    .Build();

using var response = await pipeline.ExecuteAsync(async ct => await http.GetAsync(url, ct));
var text = await response.Content.ReadAsStringAsync();
Console.WriteLine($"  final: {(int)response.StatusCode} {text} after {served} calls in {clock.ElapsedMilliseconds} ms");
listener.Stop();
await server;
return response.IsSuccessStatusCode && served == 3 ? 0 : 1;

static int FreePort()
{
    var probe = new TcpListener(IPAddress.Loopback, 0);
    probe.Start();
    var port = ((IPEndPoint)probe.LocalEndpoint).Port;
    probe.Stop();
    return port;
}
