using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using RetryAnalyzers.Testing;
using RetryAnalyzers.Workload;

// dotnet run -c Release --project tools/RetryAnalyzers.Workload [-- real [scale]] [--seeds N] [--out DIR]
var real = args.Contains("real");
var seeds = Option("--seeds", real ? 1 : 20);
var scale = real && args.SkipWhile(a => a != "real").Skip(1).FirstOrDefault() is { } s && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : 20.0;
var output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine(RepositoryRoot.Find(), "analyzers-docs");

var scenarios = new[] { Scenario.Reference, Scenario.SevenAgents, Scenario.ReferenceRolling };
var strategies = Enum.GetValues<Strategy>();
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
            runs[strategy].Add(real
                ? await HttpRun.RunAsync(scenario, strategy, seed, scale)
                : Simulation.Run(scenario, strategy, seed));
        }

        var last = runs[strategy];
        Console.WriteLine(FormattableString.Invariant($"\r  {Report.Label(strategy),-58} makespan {last.Average(r => r.MakespanSeconds),7:0.0} s, {last.Average(r => r.Throttled),6:0} x 429, {last.Average(r => r.Attempts),5:0} attempts"));
    }

    var oracle = Row.Median(Strategy.Oracle, runs[Strategy.Oracle], 1).Makespan;
    results.Add((scenario, strategies.Select(st => Row.Median(st, runs[st], oracle)).ToList()));
}

var how = real
    ? FormattableString.Invariant($"real HTTP against the simulator on 127.0.0.1, clock scaled {scale}×, {seeds} run(s) per cell, times in model seconds")
    : FormattableString.Invariant($"deterministic model, virtual clock, medians over seeds 1–{seeds}");
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
