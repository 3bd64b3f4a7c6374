using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace RetryAnalyzers.Tests.Meta;

/// <summary>What nuget.org and a consumer's build see of the package: its README, description and presets name every rule.</summary>
public sealed class PackageTests
{
    private static readonly string PackageFolder = Path.Combine("src", "RetryAnalyzers.Package");

    [Theory]
    [MemberData(nameof(DocumentationTests.DescriptorIds), MemberType = typeof(DocumentationTests))]
    public void PackageReadmeAndDescription_NameTheRule(string id)
    {
        var descriptor = DocumentationTests.AllDescriptors().Single(d => d.Id == id);
        var readme = RepositoryFiles.Read(PackageFolder, "PACKAGE.md");
        Assert.Contains($"| [{id}]({Descriptors.HelpLinkBase}/{id}.md) | {descriptor.Title} |", readme);

        var description = XDocument.Parse(RepositoryFiles.Read(PackageFolder, "RetryAnalyzers.Package.csproj"))
            .Descendants("Description").Single().Value;
        Assert.Contains($"{id} {descriptor.Title}".ToLowerInvariant(), description.ToLowerInvariant());
    }

    [Fact]
    public void PackageReadme_HasOnlyAbsoluteLinks()
    {
        var readme = RepositoryFiles.Read(PackageFolder, "PACKAGE.md");
        var targets = Regex.Matches(readme, @"\]\(([^)]*)\)").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(targets);
        Assert.All(targets, target => Assert.StartsWith("https://", target));
    }

    [Theory]
    [InlineData("Strict", "error")]
    [InlineData("None", "none")]
    public void Preset_SetsEveryRule(string mode, string severity)
    {
        var config = RepositoryFiles.Read(PackageFolder, "build", "presets", $"RetryAnalyzers.{mode}.globalconfig");
        Assert.Contains("is_global = true", config);
        foreach (var descriptor in DocumentationTests.AllDescriptors())
        {
            Assert.Contains($"dotnet_diagnostic.{descriptor.Id}.severity = {severity}", config);
        }

        var targets = RepositoryFiles.Read(PackageFolder, "build", "RetryAnalyzers.targets");
        Assert.Contains($"<EditorConfigFiles Include=\"$(MSBuildThisFileDirectory)presets/RetryAnalyzers.{mode}.globalconfig\" Condition=\"'$(RetryAnalyzersMode)' == '{mode}'\"", targets);
    }
}
