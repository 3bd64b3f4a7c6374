using System.Diagnostics;
using System.Globalization;
using System.Net;
using Polly;
using RetryAnalyzers.Runtime;
using RetryAnalyzers.Testing;

// Part 1. A local "provider" on 127.0.0.1 that answers 429 twice, then 200.
using var server = new LoopbackServer(async (context, index) =>
{
    context.Response.StatusCode = index < 2 ? 429 : 200;
    await context.Response.OutputStream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(index < 2 ? "rate limited" : "{\"answer\":42}"));
});
var url = server.Url + "v1/chat/completions";

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
Console.WriteLine($"  final: {(int)response.StatusCode} {text} after {server.Requests} calls in {clock.ElapsedMilliseconds} ms");
var partOne = response.IsSuccessStatusCode && server.Requests == 3;

// Part 2. Six agents, three calls of 500 tokens each, against a provider that admits 3,000 tokens per rolling 500 ms.
Console.WriteLine();
Console.WriteLine("Six agents x 3 calls of 500 tokens; the provider admits 3,000 tokens per rolling 500 ms:");
var withoutBudget = await RunAgentsAsync(budget: null);
using var shared = new TokenBudget(TokenBudgetOptions.ForRollingWindow(2_700, TimeSpan.FromMilliseconds(500)));
var withBudget = await RunAgentsAsync(shared);
Console.WriteLine($"  jittered retry only     : {withoutBudget}");
Console.WriteLine($"  + shared token budget   : {withBudget}");
return partOne && withBudget.Throttled == 0 && withBudget.Ok == 18 ? 0 : 1;

static async Task<AgentRun> RunAgentsAsync(TokenBudget? budget)
{
    using var provider = new RateLimitedProvider(tokensPerWindow: 3_000, window: TimeSpan.FromMilliseconds(500));
    var metrics = new RetryMetrics();
    var options = new ProviderResilienceOptions
    {
        Budget = budget,
        Metrics = metrics,
        BaseDelay = TimeSpan.FromMilliseconds(100),
        MaxRetryAttempts = 8,
        RetryBudget = new RetryBudget(retryRatio: 1, maxCredits: 100),
        CircuitBreaker = null,
    };
    using var client = new HttpClient(new ProviderResilienceHandler(options, _ => 500) { InnerHandler = new HttpClientHandler() });
    client.DefaultRequestHeaders.Add(RateLimitedProvider.TokensHeader, "500");
    var clock = Stopwatch.StartNew();
    var statuses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
    {
        var ok = 0;
        for (var call = 0; call < 3; call++)
        {
            using var answer = await client.PostAsync(provider.Url + "v1/chat/completions", new StringContent("{}"));
            ok += answer.IsSuccessStatusCode ? 1 : 0;
        }

        return ok;
    })));
    return new AgentRun(statuses.Sum(), provider.Throttled, metrics.RetryRatio, clock.ElapsedMilliseconds);
}

internal readonly record struct AgentRun(int Ok, int Throttled, double RetryRatio, long Milliseconds)
{
    public override string ToString() => string.Format(
        CultureInfo.InvariantCulture, "{0}/18 ok, {1,2} x 429, retry ratio {2,5:P0}, {3,5} ms", Ok, Throttled, RetryRatio, Milliseconds);
}
