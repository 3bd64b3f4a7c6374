using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace RetryAnalyzers.Tests.Meta;

/// <summary>Every descriptor has its page, its README row and its release-tracking entry, and they agree with it.</summary>
public sealed class DocumentationTests
{
    public static TheoryData<string> DescriptorIds()
    {
        var data = new TheoryData<string>();
        foreach (var descriptor in AllDescriptors())
        {
            data.Add(descriptor.Id);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(DescriptorIds))]
    public void RulePage_StartsWithIdAndTitle_AndListsItsProperties(string id)
    {
        var descriptor = AllDescriptors().Single(d => d.Id == id);
        var page = RepositoryFiles.Read("analyzers-docs", id + ".md");
        var firstLine = page.Split('\n')[0].TrimEnd('\r');

        Assert.Equal($"# {id}: {descriptor.Title}", firstLine);
        Assert.Contains($"| Category | {descriptor.Category} |", page);
        Assert.Contains($"| Default severity | {descriptor.DefaultSeverity} |", page);
        Assert.Equal($"{Descriptors.HelpLinkBase}/{id}.md", descriptor.HelpLinkUri);
    }

    [Theory]
    [MemberData(nameof(DescriptorIds))]
    public void ReadmeRulesTable_HasARowForTheRule(string id)
    {
        var descriptor = AllDescriptors().Single(d => d.Id == id);
        var readme = RepositoryFiles.Read("README.md");
        Assert.Contains($"| [{id}](analyzers-docs/{id}.md) | {descriptor.Title} |", readme);
        var index = RepositoryFiles.Read("analyzers-docs", "README.md");
        Assert.Contains($"| [{id}]({id}.md) | {descriptor.Title} |", index);
    }

    [Theory]
    [MemberData(nameof(DescriptorIds))]
    public void ReleaseTracking_ListsTheRuleWithItsCategoryAndSeverity(string id)
    {
        var descriptor = AllDescriptors().Single(d => d.Id == id);
        var tracked = RepositoryFiles.Read("src", "RetryAnalyzers", "AnalyzerReleases.Shipped.md") +
                      RepositoryFiles.Read("src", "RetryAnalyzers", "AnalyzerReleases.Unshipped.md");
        Assert.Contains($"{id} | {descriptor.Category} | {descriptor.DefaultSeverity} |", tracked);
    }

    [Fact]
    public void EveryRulePage_BelongsToADescriptor()
    {
        var ids = AllDescriptors().Select(d => d.Id).ToHashSet();
        var pages = Directory.GetFiles(Path.Combine(RepositoryFiles.Root, "analyzers-docs"), "RA*.md").Select(Path.GetFileNameWithoutExtension);
        Assert.All(pages, page => Assert.Contains(page!, ids));
    }

    internal static IReadOnlyList<DiagnosticDescriptor> AllDescriptors()
        => AllAnalyzers()
            .SelectMany(analyzer => analyzer.SupportedDiagnostics)
            .GroupBy(d => d.Id)
            .Select(g => g.First())
            .ToList();

    /// <summary>One instance of every analyzer the package ships (every <c>[DiagnosticAnalyzer]</c> type of RetryAnalyzers.dll).</summary>
    internal static ImmutableArray<DiagnosticAnalyzer> AllAnalyzers()
        => typeof(RuleIds).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .Select(t => (DiagnosticAnalyzer)System.Activator.CreateInstance(t)!)
            .ToImmutableArray();
}
