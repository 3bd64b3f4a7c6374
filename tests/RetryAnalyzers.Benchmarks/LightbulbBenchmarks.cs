using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using RetryAnalyzers.CodeFixes;

namespace RetryAnalyzers.Benchmarks;

/// <summary>
/// The code fix as an editor runs it, on a generated 2,000-line file of 125 fixed-delay retry loops around
/// <c>HttpClient</c> calls in one class, <see cref="Shape"/> <c>catch</c> (a <c>try</c>/<c>catch</c> loop) or
/// <c>status</c> (a status-check loop) (issue 15's goal: ≤ 50 ms p95 per lightbulb): <see cref="Offer"/> is what the
/// lightbulb computes (both RA0001 actions registered for one diagnostic), <see cref="ApplyPipeline"/> also computes the
/// pipeline action's change (rewrite, usings, formatting), as a preview or an apply does.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Percentiles))]
public class LightbulbBenchmarks
{
    internal const int Loops = 125;

    private readonly RA0001FixedDelayRetryCodeFix _fix = new();
    private AdhocWorkspace _workspace = null!;
    private Document _document = null!;
    private Diagnostic _diagnostic = null!;

    /// <summary>The loops' shape: <c>catch</c> or <c>status</c>.</summary>
    [Params("catch", "status")]
    public string Shape { get; set; } = "catch";

    [GlobalSetup]
    public void Setup()
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(new[] { typeof(Runtime.ProviderPipeline).Assembly.Location, typeof(Polly.ResiliencePipeline).Assembly.Location })
            .Select(path => MetadataReference.CreateFromFile(path));
        _workspace = new AdhocWorkspace();
        var project = _workspace.AddProject(ProjectInfo.Create(
            ProjectId.CreateNewId(),
            VersionStamp.Create(),
            "Agents",
            "Agents",
            LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            metadataReferences: references));
        _document = _workspace.AddDocument(project.Id, "Agents.cs", SourceText.From(Source(Shape == "status")));

        var compilation = _document.Project.GetCompilationAsync().GetAwaiter().GetResult()!;
        var diagnostics = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new Rules.RetryDelayAnalyzer()))
            .GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult()
            .Where(d => d.Id == "RA0001")
            .OrderBy(d => d.Location.SourceSpan.Start)
            .ToList();
        if (diagnostics.Count != Loops)
        {
            throw new InvalidOperationException($"expected {Loops} RA0001 diagnostics, got {diagnostics.Count}");
        }

        _diagnostic = diagnostics[Loops / 2];
        var offered = Offer().GetAwaiter().GetResult();
        if (!offered.Any(a => a.EquivalenceKey == "RA0001.RunThroughProviderPipeline"))
        {
            throw new InvalidOperationException("the pipeline action is not offered: " + string.Join(", ", offered.Select(a => a.Title)));
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _workspace.Dispose();

    /// <summary>The lightbulb: every action the fix offers for one diagnostic.</summary>
    [Benchmark]
    public async Task<List<CodeAction>> Offer()
    {
        var actions = new List<CodeAction>();
        await _fix.RegisterCodeFixesAsync(new CodeFixContext(_document, _diagnostic, (action, _) => actions.Add(action), CancellationToken.None));
        return actions;
    }

    /// <summary>The lightbulb, then the pipeline action's change computed (its preview, or what applying it writes).</summary>
    [Benchmark]
    public async Task<int> ApplyPipeline()
    {
        var pipeline = (await Offer()).Single(a => a.EquivalenceKey == "RA0001.RunThroughProviderPipeline");
        var operations = await pipeline.GetOperationsAsync(CancellationToken.None);
        return operations.Length;
    }

    private sealed class Percentiles : ManualConfig
    {
        public Percentiles() => AddColumn(StatisticColumn.Median, StatisticColumn.P95, StatisticColumn.Max);
    }

    private static string Source(bool statusCheck)
    {
        var code = new StringBuilder();
        code.AppendLine("using System.Net.Http;");
        code.AppendLine("using System.Threading;");
        code.AppendLine("using System.Threading.Tasks;");
        code.AppendLine();
        code.AppendLine("public sealed class Agents");
        code.AppendLine("{");
        for (var i = 0; i < Loops; i++)
        {
            code.Append("    public async Task<string> Ask").Append(i).AppendLine("Async(HttpClient http, CancellationToken cancellationToken)");
            code.AppendLine("    {");
            code.AppendLine("        for (var attempt = 0; attempt < 3; attempt++)");
            code.AppendLine("        {");
            if (statusCheck)
            {
                code.Append("            var response = await http.GetAsync(\"https://api.example.test/v1/models/").Append(i).AppendLine("\", cancellationToken);");
                code.AppendLine("            if (!response.IsSuccessStatusCode)");
                code.AppendLine("            {");
                code.AppendLine("                await Task.Delay(1000, cancellationToken);");
                code.AppendLine("                continue;");
                code.AppendLine("            }");
                code.AppendLine();
                code.AppendLine("            return await response.Content.ReadAsStringAsync(cancellationToken);");
            }
            else
            {
                code.AppendLine("            try");
                code.AppendLine("            {");
                code.Append("                return await http.GetStringAsync(\"https://api.example.test/v1/models/").Append(i).AppendLine("\", cancellationToken);");
                code.AppendLine("            }");
                code.AppendLine("            catch (HttpRequestException)");
                code.AppendLine("            {");
                code.AppendLine("                await Task.Delay(1000, cancellationToken);");
                code.AppendLine("            }");
            }

            code.AppendLine("        }");
            code.AppendLine();
            code.AppendLine("        return \"\";");
            code.AppendLine("    }");
        }

        code.AppendLine("}");
        return code.ToString();
    }
}
