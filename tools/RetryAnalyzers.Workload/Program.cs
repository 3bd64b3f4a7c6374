using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using RetryAnalyzers.Testing;
using RetryAnalyzers.Workload;

// dotnet run -c Release --project tools/RetryAnalyzers.Workload [-- real [scale]] [--seeds N] [--only TEXT] [--out DIR]
// dotnet run ... -- check [--seeds N] [--only TEXT]: one line per scenario, strategy and seed (the model's counts), for the tests.
var real = args.Contains("real");
var check = args.Contains("check");
var seeds = Option("--seeds", real ? 1 : check ? 2 : 20);
var scale = real && args.SkipWhile(a => a != "real").Skip(1).FirstOrDefault() is { } s && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : 20.0;
var output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine(RepositoryRoot.Find(), "analyzers-docs");
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();

var scenarios = Scenario.All.Where(sc => only is null || sc.Name.Contains(only, StringComparison.OrdinalIgnoreCase)).ToArray();
var strategies = Enum.GetValues<Strategy>();
if (check)
{
    for (var i = 0; i < Scenario.All.Length; i++)
    {
        if (!scenarios.Contains(Scenario.All[i]))
        {
            continue;
        }

        foreach (var strategy in strategies)
        {
            for (var seed = 1; seed <= seeds; seed++)
            {
                var r = Simulation.Run(Scenario.All[i], strategy, seed);
                Console.WriteLine(FormattableString.Invariant($"{i} {strategy} {seed} {r.MakespanSeconds:0.###} {r.Attempts} {r.Throttled} {r.Calls} {r.RecoverySeconds:0.###}"));
            }
        }
    }

    return 0;
}

// The oracle is the model's, and the model takes over the thread pool (VirtualTime): run it before any HTTP work.
var oracles = scenarios.ToDictionary(sc => sc, sc => Enumerable.Range(1, seeds).Select(seed => Simulation.Run(sc, Strategy.Oracle, seed)).ToList());
var results = new List<(Scenario, IReadOnlyList<Row>)>();
foreach (var scenario in scenarios)
{
    Console.WriteLine(scenario.Name);
    var runs = new Dictionary<Strategy, List<RunResult>>();
    foreach (var strategy in strategies)
    {
        runs[strategy] = new List<RunResult>();
        for (var seed = 1; seed <= seeds; seed++)
        {
            Console.Write($"\r  {Report.Label(strategy),-58} seed {seed}/{seeds}");
            runs[strategy].Add(
                strategy == Strategy.Oracle ? oracles[scenario][seed - 1]
                : real ? await HttpRun.RunAsync(scenario, strategy, seed, scale)
                : Simulation.Run(scenario, strategy, seed));
        }

        var last = runs[strategy];
        Console.WriteLine(FormattableString.Invariant($"\r  {Report.Label(strategy),-58} makespan {last.Average(r => r.MakespanSeconds),7:0.0} s, {last.Average(r => r.Throttled),6:0} x 429, {last.Average(r => r.Attempts),5:0} attempts"));
    }

    var oracle = Row.Median(Strategy.Oracle, runs[Strategy.Oracle], 1).Makespan;
    results.Add((scenario, strategies.Select(st => Row.Median(st, runs[st], oracle)).ToList()));
}

var how = real
    ? FormattableString.Invariant($"real HTTP against the simulator on 127.0.0.1, clock scaled {scale}×, {seeds} run(s) per cell, times in model seconds; the oracle row is the model's")
    : FormattableString.Invariant($"deterministic model: the real clients on a virtual clock, medians over seeds 1–{seeds}");
var name = real ? "workload-http" : "workload";
Directory.CreateDirectory(output);
File.WriteAllText(Path.Combine(output, name + ".md"), Report.Markdown(results, how).Replace("(workload.svg)", "(" + name + ".svg)", StringComparison.Ordinal));
File.WriteAllText(Path.Combine(output, name + ".svg"), Report.Svg(results));
Console.WriteLine();
Console.WriteLine(Report.Markdown(results, how));
Console.WriteLine($"written: {Path.Combine(output, name + ".md")}, {Path.Combine(output, name + ".svg")}");
return 0;

int Option(string name, int fallback)
    => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } text && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
