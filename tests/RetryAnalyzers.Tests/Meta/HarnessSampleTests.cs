using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;

namespace RetryAnalyzers.Tests.Meta;

/// <summary>
/// tests/harness-sample is what the package harness (consume-nupkg.sh, format-fix.sh) runs on, so it must not rot:
/// every folder compiles without errors, no analyzer throws, and our analyzers warn on exactly the lines marked
/// <c>// RAxxxx</c> — no marker without its warning, no warning without its marker. A new folder is picked up by
/// being there.
/// </summary>
public sealed class HarnessSampleTests
{
    public static TheoryData<string> Folders()
    {
        var data = new TheoryData<string>();
        foreach (var name in HarnessSample.FolderNames())
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public async Task Folder_CompilesAndWarnsOnExactlyItsMarkedLines(string folder)
    {
        var sample = await HarnessSample.LoadAsync(folder, CancellationToken.None);

        var errors = sample.Compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString());
        Assert.Empty(errors);

        var exceptions = new List<Exception>();
        var diagnostics = await sample.AnalyzeAsync(exceptions, CancellationToken.None);
        Assert.Empty(exceptions.Select(e => e.ToString()));
        Assert.Empty(diagnostics.Where(d => d.Id == "AD0001").Select(d => d.ToString()));

        // What a build shows: warnings and errors (a .editorconfig may lower or raise a rule's severity).
        var reported = diagnostics
            .Where(d => d.Id.StartsWith("RA", StringComparison.Ordinal) && d.Severity >= DiagnosticSeverity.Warning)
            .Select(sample.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
        var marked = sample.Markers().Order(StringComparer.Ordinal).ToList();
        Assert.True(
            marked.SequenceEqual(reported),
            $"marked but not reported: [{string.Join(", ", Without(marked, reported))}]; reported but not marked: [{string.Join(", ", Without(reported, marked))}]");
    }

    [Fact]
    public void EveryFolder_HasSources()
    {
        var folders = HarnessSample.FolderNames().ToList();
        Assert.NotEmpty(folders);
        Assert.All(folders, folder => Assert.NotEmpty(HarnessSample.SourceFiles(Path.Combine(HarnessSample.Root, folder))));
    }

    // The items of `items` left after taking out one of each item of `taken` (a multiset difference).
    private static IEnumerable<string> Without(IEnumerable<string> items, IEnumerable<string> taken)
    {
        var left = items.ToList();
        foreach (var item in taken)
        {
            left.Remove(item);
        }

        return left;
    }
}
