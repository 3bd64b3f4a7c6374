using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using RetryAnalyzers.Tests.Verifiers;

namespace RetryAnalyzers.Tests.Meta;

/// <summary>
/// One folder of tests/harness-sample, built the way the package harness builds it: its .cs files in one compilation
/// with the SDK's implicit usings, the verifiers' references, the folder's .editorconfig / .globalconfig files, and
/// every analyzer of the RetryAnalyzers assembly.
/// </summary>
internal sealed class HarnessSample
{
    public static readonly string Root = Path.Combine(RepositoryFiles.Root, "tests", "harness-sample");

    // A marker is a trailing comment that holds only rule IDs: `// RA0001` (or `// RA0001, RA0002`).
    private static readonly Regex Marker = new(@"//\s*(?<ids>RA\d{4}(?:\s*,\s*RA\d{4})*)\s*$", RegexOptions.CultureInvariant);

    // What <ImplicitUsings>enable</ImplicitUsings> adds to a Microsoft.NET.Sdk project.
    private const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    private HarnessSample(string folder, CSharpCompilation compilation, AnalyzerConfigOptionsProvider options)
    {
        Folder = folder;
        Compilation = compilation;
        ConfigOptions = options;
    }

    public string Folder { get; }

    public CSharpCompilation Compilation { get; }

    private AnalyzerConfigOptionsProvider ConfigOptions { get; }

    /// <summary>The folder names under tests/harness-sample.</summary>
    public static IEnumerable<string> FolderNames()
        => Directory.GetDirectories(Root).Select(Path.GetFileName).OfType<string>().OrderBy(name => name, StringComparer.Ordinal);

    public static async Task<HarnessSample> LoadAsync(string name, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(Root, name);
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = SourceFiles(folder)
            .Select(path => CSharpSyntaxTree.ParseText(SourceText.From(File.ReadAllText(path)), parse, path, cancellationToken))
            .Append(CSharpSyntaxTree.ParseText(ImplicitUsings, parse, Path.Combine(folder, "obj", "GlobalUsings.g.cs"), cancellationToken: cancellationToken))
            .ToList();

        var configs = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(path => Path.GetFileName(path) == ".editorconfig" || path.EndsWith(".globalconfig", StringComparison.Ordinal))
            .Select(path => AnalyzerConfig.Parse(SourceText.From(File.ReadAllText(path)), path))
            .ToList();
        var configSet = AnalyzerConfigSet.Create(configs);
        var perTree = trees.ToDictionary(tree => tree, tree => configSet.GetOptionsForSourcePath(tree.FilePath));

        var references = await TestReferences.WithHttpResilience.ResolveAsync(LanguageNames.CSharp, cancellationToken);
        var compilation = CSharpCompilation.Create(
            "HarnessSample",
            trees,
            references.Add(TestReferences.Runtime),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                .WithSyntaxTreeOptionsProvider(new TreeOptions(perTree, configSet.GlobalConfigOptions)));
        return new HarnessSample(folder, compilation, new OptionsProvider(perTree, configSet.GlobalConfigOptions));
    }

    /// <summary>The folder's .cs files (below bin/ and obj/ excluded), full paths.</summary>
    public static IEnumerable<string> SourceFiles(string folder)
        => Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(path => !Path.GetRelativePath(folder, path).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .OrderBy(path => path, StringComparer.Ordinal);

    /// <summary>Every `// RAxxxx` marker of the folder as "file:line RAxxxx" (file relative to the folder, line 1-based).</summary>
    public IEnumerable<string> Markers()
        => from path in SourceFiles(Folder)
           from numbered in File.ReadAllLines(path).Select((text, index) => (Text: text, Line: index + 1))
           let match = Marker.Match(numbered.Text)
           where match.Success
           from id in match.Groups["ids"].Value.Split(',')
           select Key(path, numbered.Line, id.Trim());

    /// <summary>Runs every analyzer of the RetryAnalyzers assembly; returns all it reported (AD0001 included).</summary>
    public async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(List<Exception> exceptions, CancellationToken cancellationToken)
    {
        var analyzers = DocumentationTests.AllAnalyzers();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, ConfigOptions),
            (exception, _, _) =>
            {
                lock (exceptions)
                {
                    exceptions.Add(exception);
                }
            },
            concurrentAnalysis: true,
            logAnalyzerExecutionTime: false);
        return await Compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync(cancellationToken);
    }

    public string Key(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.GetLineSpan();
        return Key(span.Path, span.StartLinePosition.Line + 1, diagnostic.Id);
    }

    private string Key(string path, int line, string id) => $"{Path.GetRelativePath(Folder, path).Replace('\\', '/')}:{line} {id}";

    /// <summary>Severities from the folder's config files, as the compiler applies them.</summary>
    private sealed class TreeOptions(Dictionary<SyntaxTree, AnalyzerConfigOptionsResult> perTree, AnalyzerConfigOptionsResult global) : SyntaxTreeOptionsProvider
    {
        public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.Unknown;

        public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
            => perTree[tree].TreeOptions.TryGetValue(diagnosticId, out severity);

        public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
            => global.TreeOptions.TryGetValue(diagnosticId, out severity);
    }

    /// <summary>Analyzer options (<c>dotnet_diagnostic.RA0004.max_concurrency</c> and the like) from the folder's config files.</summary>
    private sealed class OptionsProvider(Dictionary<SyntaxTree, AnalyzerConfigOptionsResult> perTree, AnalyzerConfigOptionsResult global) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(global.AnalyzerOptions);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree)
            => perTree.TryGetValue(tree, out var result) ? new Options(result.AnalyzerOptions) : GlobalOptions;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => GlobalOptions;
    }

    private sealed class Options(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
    }
}
