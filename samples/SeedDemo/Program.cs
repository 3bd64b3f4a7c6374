using System.Diagnostics;
using System.Globalization;
using RetryAnalyzers.Samples;

// The seed case, before and after the package's fixes: runs the naive SeedOrchestrator and the copy `dotnet format
// analyzers` fixed, one after the other, each against a fresh local provider (real HTTP on 127.0.0.1) that admits
// 4,000,000 tokens in any rolling 60 s, as OpenAI enforces a key's tokens per minute, and answers an admitted call after
// 1 s. Every figure comes from the provider's own counts and clock.
// usage: SeedDemo <naive SeedOrchestrator.dll> <fixed SeedOrchestrator.dll>
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: SeedDemo <naive SeedOrchestrator.dll> <fixed SeedOrchestrator.dll>");
    return 2;
}

const long TokensPerWindow = 4_000_000;
var window = TimeSpan.FromSeconds(60);
var latency = TimeSpan.FromSeconds(1);
var timeout = TimeSpan.FromMinutes(3);

Console.WriteLine($"provider: {TokensPerWindow:N0} tokens in any rolling {window.TotalSeconds:0} s, 429 + Retry-After over it, {latency.TotalSeconds:0} s per answered call");
var before = await RunAsync("naive", args[0]);
var after = await RunAsync("fixed", args[1]);

// The job: every distinct call either run made (the fixed run makes them all unless it fails).
var job = before.Calls.Concat(after.Calls).GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.First().Value);
if (job.Count == 0)
{
    Console.Error.WriteLine("neither run reached the provider");
    return 1;
}

var oracle = Oracle(job.Values.ToList(), out var perWindow);
Console.WriteLine();
Console.WriteLine($"job: {job.Count} calls of {job.Values.Min():N0}–{job.Values.Max():N0} tokens ({job.Values.Sum():N0} in all; the provider counts characters / 4 + max output)");
Console.WriteLine($"oracle: {Seconds(oracle)} — a lower bound: at most {perWindow} of these calls fit in one {window.TotalSeconds:0} s window, so the last cannot start before");
Console.WriteLine($"        {Seconds(oracle - latency)} after the first, and it takes {Seconds(latency)}");
Console.WriteLine();
Console.WriteLine($"{"",-7}{"job",-30}{"makespan",10}{"× oracle",10}{"429s",7}{"attempts",10}{"retry ratio",13}");
foreach (var run in new[] { before, after })
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{run.Name,-7}{(run.Completed ? "done" : "FAILED") + $", {run.Answered}/{job.Count} calls answered",-30}{Seconds(run.Makespan),10}{(run.Completed ? (run.Makespan / oracle).ToString("0.00×", CultureInfo.InvariantCulture) : "—"),10}{run.Throttled,7}{run.Attempts,10}{run.RetryRatio,13:0.00}"));
}

Console.WriteLine();
Console.WriteLine("makespan: the provider's first request to its last response (× oracle only for a run that did the whole job);");
Console.WriteLine("retry ratio: retries per distinct call (attempts / calls − 1).");
var targets = after.Completed && after.Throttled == 0 && after.Makespan <= oracle * 1.10;
Console.WriteLine(targets
    ? "targets held: the fixed copy did the whole job with 0 × 429 within 1.10 × the oracle."
    : $"TARGETS MISSED: the fixed copy {(after.Completed ? "did the whole job" : "did NOT do the whole job")} with {after.Throttled} × 429 in {after.Makespan / oracle:0.00} × the oracle (target: the whole job, 0 × 429, ≤ 1.10 ×).");
return after.Completed ? 0 : 1;

async Task<Run> RunAsync(string name, string dll)
{
    using var provider = new LocalProvider(TokensPerWindow, window, lifetime: timeout, latency);
    var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
    start.ArgumentList.Add(dll);
    start.Environment["OPENAI_API_KEY"] = "sk-local-seed-demo-0000000000000000";
    start.Environment["OPENAI_BASE_URL"] = provider.Url + "v1";
    Console.WriteLine($"{name}: dotnet {dll}");
    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEndAsync();
    var errors = process.StandardError.ReadToEndAsync();
    using var cancellation = new CancellationTokenSource(timeout);
    try
    {
        await process.WaitForExitAsync(cancellation.Token);
    }
    catch (OperationCanceledException)
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    var said = (await output).Trim();
    var stderr = (await errors).Trim();
    Console.WriteLine($"  its output: {(said.Length > 0 ? said : "(none)")}{(stderr.Length > 0 ? "\n  its errors: " + stderr : string.Empty)}");
    var (sent, throttled) = provider.Completions;
    var calls = provider.Calls.ToDictionary(c => c.Key, c => c.Value);
    var answered = sent - throttled;
    var completed = process.ExitCode == 0 && said.StartsWith("done:", StringComparison.Ordinal);
    return new Run(name, answered, completed, provider.Makespan, throttled, sent, calls.Count == 0 ? 0 : (double)sent / calls.Count - 1, calls);
}

// The provider admits at most TokensPerWindow in any window: if the calls cannot all fit in m windows (at most
// perWindow calls, the cheapest first, fit in one), the last is admitted at least m windows after the first.
TimeSpan Oracle(List<long> costs, out int perWindow)
{
    costs.Sort();
    perWindow = 0;
    for (long sum = 0; perWindow < costs.Count && (sum += costs[perWindow]) <= TokensPerWindow; perWindow++)
    {
    }

    var windows = perWindow == 0 ? 0 : (costs.Count + perWindow - 1) / perWindow - 1;
    return window * windows + latency;
}

static string Seconds(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds:0.0} s");

internal sealed record Run(string Name, int Answered, bool Completed, TimeSpan Makespan, int Throttled, int Attempts, double RetryRatio, Dictionary<string, long> Calls);
