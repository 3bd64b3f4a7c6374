using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Runtime.AI.Tests;

/// <summary>
/// Every snippet the runtime guide marks <c>&lt;!-- compiles --&gt;</c> is a complete program (every variable defined,
/// every namespace imported) that compiles against the packages it names: the runtime, Runtime.AI, OpenAI,
/// Microsoft.Extensions.AI(.OpenAI) and Microsoft.Extensions.Http, all referenced by this project.
/// </summary>
public sealed class RuntimeDocsSnippetTests
{
    private static readonly Regex Marked = new(@"<!-- compiles -->\r?\n```csharp\r?\n(?<code>.*?)\r?\n```", RegexOptions.Singleline | RegexOptions.CultureInvariant);

    public static TheoryData<string, int> Snippets()
    {
        var data = new TheoryData<string, int>();
        foreach (var document in Documents)
        {
            var count = Marked.Matches(File.ReadAllText(Path.Combine(RepositoryRoot.Find(), document))).Count;
            for (var i = 0; i < count; i++)
            {
                data.Add(document, i);
            }
        }

        return data;
    }

    private static readonly string[] Documents = ["analyzers-docs/runtime.md", "src/RetryAnalyzers.Runtime.AI/README.md"];

    [Fact]
    public void EveryEntryPoint_HasACompiledSnippet()
    {
        var guide = File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "analyzers-docs/runtime.md"));
        var code = string.Join("\n", Marked.Matches(guide).Select(match => match.Groups["code"].Value));
        foreach (var entryPoint in new[] { "new ProviderResilienceHandler(", "ProviderPipeline.Create<", ".UseProviderResilience(resilience)", "new ChatClientBuilder(", "new ProviderFailover<", "new OrderedFailoverChatClient(" })
        {
            Assert.Contains(entryPoint, code, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public void TheSnippet_Compiles(string document, int index)
    {
        var code = Marked.Matches(File.ReadAllText(Path.Combine(RepositoryRoot.Find(), document)))[index].Groups["code"].Value;
        var compilation = CSharpCompilation.Create(
            "Snippet" + index,
            [CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest))],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.True(errors.Count == 0, $"{document} snippet {index} does not compile:\n{string.Join("\n", errors)}\n\n{code}");
    }

    // The framework, then every managed assembly of this test's output (the packages above, at the versions restored).
    private static readonly Lazy<List<MetadataReference>> References = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).ToList();
        var names = new HashSet<string>(paths.Select(Path.GetFileName)!, StringComparer.OrdinalIgnoreCase);
        foreach (var path in Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
        {
            if (names.Add(Path.GetFileName(path)) && IsManaged(path))
            {
                paths.Add(path);
            }
        }

        return paths.Where(IsManaged).Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)).ToList();
    });

    private static bool IsManaged(string path)
    {
        try
        {
            AssemblyName.GetAssemblyName(path);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}
