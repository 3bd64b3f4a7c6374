using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using RetryAnalyzers.Outages;
using RetryAnalyzers.Testing;
using RetryAnalyzers.Testing.Outages;

// dotnet run -c Release --project tools/RetryAnalyzers.Outages [-- --scale N] [--only <part of a section title>] [--out <path>]
var scaleOption = Option("--scale");
var scale = 10.0;
if (scaleOption is not null && !(double.TryParse(scaleOption, NumberStyles.Float, CultureInfo.InvariantCulture, out scale) && scale > 0 && !double.IsInfinity(scale)))
{
    Console.Error.WriteLine($"--scale takes a number greater than 0, not \"{scaleOption}\"");
    return 1;
}

var only = Option("--only");
var output = Option("--out") ?? Path.Combine(RepositoryRoot.Find(), "analyzers-docs", "outages.md");

var scenarios = OutageScenario.All.Where(o => only is null || o.Title.Contains(only, StringComparison.OrdinalIgnoreCase)).ToList();
if (scenarios.Count == 0)
{
    Console.Error.WriteLine($"no section title contains \"{only}\"; the titles: {string.Join(", ", OutageScenario.All.Select(o => o.Title))}");
    return 1;
}

Console.WriteLine($"clock scaled {scale.ToString(CultureInfo.InvariantCulture)}×; warming up …");
await OutageRun.WarmUpAsync();

var sections = new List<IReadOnlyList<OutageResult>>();
foreach (var scenario in scenarios)
{
    Console.WriteLine("## " + scenario.Title);
    var rows = new List<OutageResult>();
    foreach (var strategy in Enum.GetValues<OutageStrategy>())
    {
        Console.Write($"  {OutageClient.Label(strategy)} …");
        rows.Add(await OutageRun.RunAsync(scenario, strategy, scale));
        Console.WriteLine(" done");
    }

    Console.WriteLine();
    Console.WriteLine(OutageReport.Table(rows));
    sections.Add(rows);
}

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllText(output, OutageReport.Markdown(sections, scale));
Console.WriteLine($"written: {output}");
return 0;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
