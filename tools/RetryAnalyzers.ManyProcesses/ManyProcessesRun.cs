using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.ManyProcesses;

/// <summary>What one run of the plan did, over all its processes.</summary>
public sealed record ProcessesResult(string Budget, Plan Plan, TimeSpan Makespan, int Attempts, int Failed, int Throttled, int Accepted, IReadOnlyList<string> Modes)
{
    public double RatioToOracle => Makespan / Plan.Oracle;

    /// <summary>Requests sent per call (1.00: no retries).</summary>
    public double Amplification => (double)Attempts / Plan.TotalCalls;
}

/// <summary>
/// Runs the plan in real OS processes (this assembly's <c>agent</c> command) against one rate-limited loopback
/// provider, all starting at one wall-clock time: with one <c>RedisTokenBudget</c> shared through <paramref name="redis"/>,
/// or (<paramref name="redis"/> null) with a <c>TokenBudget</c> per process.
/// </summary>
public static class ManyProcessesRun
{
    public static async Task<ProcessesResult> RunAsync(Plan plan, RedisServer? redis)
    {
        using var provider = RateLimitedProvider.TokenBucket(plan.TokensPerSecond, plan.Burst, plan.Latency);
        var budget = "run-" + Guid.NewGuid().ToString("N");
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 3_000; // every process is up and connected by then
        var processes = Enumerable.Range(0, plan.Processes).Select(_ => Start(plan, redis, provider.Url, budget, start)).ToList();
        var outputs = await Task.WhenAll(processes.Select(ReadAsync)).ConfigureAwait(false);

        var results = outputs.Select(o => o.Split(' ')).ToList();
        var end = results.Max(r => long.Parse(r[0], CultureInfo.InvariantCulture));
        return new ProcessesResult(
            redis is null ? "a TokenBudget per process" : "one RedisTokenBudget",
            plan,
            TimeSpan.FromMilliseconds(end - start),
            results.Sum(r => int.Parse(r[1], CultureInfo.InvariantCulture)),
            results.Sum(r => int.Parse(r[2], CultureInfo.InvariantCulture)),
            provider.Throttled,
            provider.Accepted,
            results.Select(r => r[3]).ToList());
    }

    private static Process Start(Plan plan, RedisServer? redis, string provider, string budget, long start)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            typeof(ManyProcessesRun).Assembly.Location, "agent",
            "--plan", plan.ToString(), "--mode", redis is null ? "own" : "redis", "--provider", provider,
            "--redis", redis?.Configuration ?? "-", "--budget", budget, "--start", start.ToString(CultureInfo.InvariantCulture),
        })
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("The agent process did not start.");
    }

    private static async Task<string> ReadAsync(Process process)
    {
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new System.Threading.CancellationTokenSource(TimeSpan.FromMinutes(3));
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false); // no blocked thread: the provider in this process must stay responsive
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("An agent process did not finish within 3 minutes.");
            }

            var line = (await output.ConfigureAwait(false)).Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(AgentProcess.ResultPrefix, StringComparison.Ordinal));
            return line?.Substring(AgentProcess.ResultPrefix.Length)
                ?? throw new InvalidOperationException("An agent process ended without a result (exit code " + process.ExitCode + "): " + await error.ConfigureAwait(false));
        }
    }
}
