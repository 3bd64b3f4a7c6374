using System.Diagnostics;
using System.Globalization;
using System.Net;
using Polly;
using RetryAnalyzers.Runtime;
using RetryAnalyzers.Samples;

// A local "provider" on 127.0.0.1 (see ../Shared/LocalProvider.cs): /flaky answers 429, 429, then 200; /v1/chat/completions
// admits 3,000 tokens per rolling 500 ms. It shuts itself down after a minute.
using var provider = new LocalProvider(tokensPerWindow: 3_000, window: TimeSpan.FromMilliseconds(500), lifetime: TimeSpan.FromMinutes(1));
var url = provider.Url + "flaky";

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
Console.WriteLine($"  final: {(int)response.StatusCode} {text} after {provider.FlakyCalls} calls in {clock.ElapsedMilliseconds} ms");
var partOne = response.IsSuccessStatusCode;

// Part 2. Six agents, three calls of 500 tokens each, all at once, against the rate-limited endpoint.
const int Agents = 6, CallsPerAgent = 3;
Console.WriteLine();
Console.WriteLine($"{Agents} agents x {CallsPerAgent} calls of 500 tokens, all at once; the provider admits 3,000 tokens per rolling 500 ms:");
var withoutBudget = await RunAgentsAsync(provider, budget: null);
using var shared = new TokenBudget(TokenBudgetOptions.ForRollingWindow(2_700, TimeSpan.FromMilliseconds(500)));
var withBudget = await RunAgentsAsync(provider, shared);
Console.WriteLine($"  jittered retry only     : {withoutBudget}");
Console.WriteLine($"  + shared token budget   : {withBudget}");
Console.WriteLine();
Console.WriteLine(withBudget.Milliseconds > withoutBudget.Milliseconds
    ? $"Why the budget run is slower here (+{withBudget.Milliseconds - withoutBudget.Milliseconds} ms): on 127.0.0.1 a 429 costs nothing."
    : "The budget run was not slower this time; on 127.0.0.1 a 429 costs nothing anyway.");
Console.WriteLine("  It comes back in a millisecond, is not billed, and the toy window is 500 ms, so no Retry-After is longer:");
Console.WriteLine("  retrying into the limit is about as fast as pacing. The budget waits before it sends instead, and keeps");
Console.WriteLine("  under 2,700 of the 3,000 tokens per window, so it leaves the last tenth of the limit unused.");
Console.WriteLine($"What the budget buys: {withBudget.Throttled} x 429 instead of the {withoutBudget.Throttled} x 429 measured without it");
Console.WriteLine($"  ({withBudget.Sent} requests for {withBudget.Ok} answers instead of {withoutBudget.Sent}). Against a real provider every 429 counts");
Console.WriteLine("  against the key's rate window, its Retry-After is seconds, and agents that retry together collide again.");
return partOne && withBudget.Throttled == 0 && withBudget.Ok == Agents * CallsPerAgent ? 0 : 1;

static async Task<AgentRun> RunAgentsAsync(LocalProvider provider, TokenBudget? budget)
{
    provider.Reset();
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
    using var client = new HttpClient(new ProviderResilienceHandler(options, _ => 500) { InnerHandler = new HttpClientHandler() })
    {
        Timeout = TimeSpan.FromSeconds(20),
    };
    client.DefaultRequestHeaders.Add(LocalProvider.TokensHeader, "500");
    var clock = Stopwatch.StartNew();

    // Every agent runs at once (maxConcurrency = Agents): the budget, not a concurrency cap, is what paces them.
    var answers = await BoundedFanOut.SelectAsync(Enumerable.Range(0, Agents), async (_, ct) =>
    {
        var ok = 0;
        for (var call = 0; call < CallsPerAgent; call++)
        {
            using var answer = await client.PostAsync(provider.Url + "v1/chat/completions", new StringContent("{}"), ct);
            ok += answer.IsSuccessStatusCode ? 1 : 0;
        }

        return ok;
    }, maxConcurrency: Agents);
    var (sent, throttled) = provider.Completions;
    return new AgentRun(answers.Sum(), sent, throttled, metrics.RetryRatio, clock.ElapsedMilliseconds);
}

internal readonly record struct AgentRun(int Ok, int Sent, int Throttled, double RetryRatio, long Milliseconds)
{
    public override string ToString() => string.Format(
        CultureInfo.InvariantCulture, "{0,2} ok, {1,2} x 429, retry ratio {2,5:P0}, {3,5} ms", Ok, Throttled, RetryRatio, Milliseconds);
}
