using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using RetryAnalyzers.Workload;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>
/// The workload model (the real clients on a virtual clock, in the tool's own process: it cuts its thread pool to one
/// thread to be deterministic), two seeds per scenario: the direction of the targets, in counts. The medians of 20 seeds
/// are in analyzers-docs/workload.md.
/// </summary>
public sealed class WorkloadModelTests
{
    private static readonly Lazy<string> Output = new(() => RunTool("check", "--seeds", "2"));

    public static TheoryData<int> Scenarios() => new(Enumerable.Range(0, Scenario.All.Length));

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void TheLibrary_MakesNoMore429sNorAttemptsThanAnyOtherStrategy(int scenario)
    {
        var runs = Parse(Output.Value).Where(r => r.Scenario == scenario).ToList();
        Assert.Equal(Enum.GetValues<Strategy>().Length * 2, runs.Count);
        foreach (var seed in runs.Select(r => r.Seed).Distinct())
        {
            var ofSeed = runs.Where(r => r.Seed == seed).ToDictionary(r => r.Strategy);
            var library = ofSeed[Strategy.RuntimeLibrary];
            Assert.Equal(library.Calls, ofSeed[Strategy.Oracle].Attempts); // every call made, once, by the lower bound
            foreach (var other in ofSeed.Values.Where(r => r.Strategy is not Strategy.Oracle and not Strategy.RuntimeLibrary))
            {
                Assert.True(library.Throttled <= other.Throttled, $"scenario {scenario} seed {seed}: {library.Throttled} × 429 vs {other.Strategy} {other.Throttled}");
                Assert.True(library.Attempts <= other.Attempts, $"scenario {scenario} seed {seed}: {library.Attempts} attempts vs {other.Strategy} {other.Attempts}");
            }

            Assert.True(ofSeed[Strategy.FixedDelay].Attempts > ofSeed[Strategy.JitteredExponential].Attempts, "fixed 1 s retries hammer the provider the most");
        }
    }

    [Theory]
    [InlineData(0)] // token bucket, limit configured
    [InlineData(1)] // seven agents
    [InlineData(2)] // rolling 60 s window, window-shaped budget
    [InlineData(3)] // limit unknown, learned from the first answer's headers
    public void WithTheLimitKnownOrSaid_TheLibraryIsNeverThrottled_AndWithin1_10OfTheOracle(int scenario)
    {
        var runs = Parse(Output.Value).Where(r => r.Scenario == scenario).ToList();
        foreach (var library in runs.Where(r => r.Strategy == Strategy.RuntimeLibrary))
        {
            var oracle = runs.Single(r => r.Strategy == Strategy.Oracle && r.Seed == library.Seed);
            Assert.Equal(0, library.Throttled);
            Assert.Equal(library.Calls, library.Attempts);
            Assert.InRange(library.Makespan / oracle.Makespan, 1.0, 1.10);
        }
    }

    [Fact]
    public void WithoutHeaders_TheAdaptiveRate_StaysWithin1_25OfTheOracle_AndFindsARaisedLimit()
    {
        var runs = Parse(Output.Value);
        foreach (var library in runs.Where(r => r.Scenario == 4 && r.Strategy == Strategy.RuntimeLibrary))
        {
            var oracle = runs.Single(r => r.Scenario == 4 && r.Strategy == Strategy.Oracle && r.Seed == library.Seed);
            Assert.InRange(library.Makespan / oracle.Makespan, 1.0, 1.25);
            Assert.InRange(library.Throttled, 1, (int)(0.05 * library.Calls)); // it finds the limit by being throttled, at most 5 % of the calls
        }

        foreach (var library in runs.Where(r => r.Scenario == 5 && r.Strategy == Strategy.RuntimeLibrary))
        {
            Assert.InRange(library.Recovery, 10, 45); // the doubled limit is used (90 % of it over 10 s) within 45 s (the 20-seed median is in analyzers-docs/workload.md)
            Assert.True(library.Throttled <= 0.05 * library.Calls, $"{library.Throttled} × 429 in {library.Calls} calls");
        }
    }

    [Fact]
    public void TheModel_IsDeterministic()
    {
        var again = RunTool("check", "--seeds", "2");
        Assert.Equal(Output.Value, again);
        Assert.NotEqual(
            Parse(again).Where(r => r.Seed == 1 && r.Strategy == Strategy.JitteredExponential).Select(r => r.Makespan),
            Parse(again).Where(r => r.Seed == 2 && r.Strategy == Strategy.JitteredExponential).Select(r => r.Makespan));
    }

    private static IEnumerable<Run> Parse(string output)
        => output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(line =>
        {
            var f = line.Split(' ');
            return new Run(
                int.Parse(f[0], CultureInfo.InvariantCulture),
                Enum.Parse<Strategy>(f[1]),
                int.Parse(f[2], CultureInfo.InvariantCulture),
                double.Parse(f[3], CultureInfo.InvariantCulture),
                int.Parse(f[4], CultureInfo.InvariantCulture),
                int.Parse(f[5], CultureInfo.InvariantCulture),
                int.Parse(f[6], CultureInfo.InvariantCulture),
                double.Parse(f[7], CultureInfo.InvariantCulture));
        });

    // The tool runs in its own process: it takes over its thread pool.
    private static string RunTool(params string[] arguments)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "RetryAnalyzers.Workload.dll"));
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "the workload model did not finish in 5 minutes");
        Assert.True(process.ExitCode == 0, "the workload model failed: " + error.Result);
        return output;
    }

    private sealed record Run(int Scenario, Strategy Strategy, int Seed, double Makespan, int Attempts, int Throttled, int Calls, double Recovery);
}
