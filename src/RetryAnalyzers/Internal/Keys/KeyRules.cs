using System;
using System.Collections.Immutable;
using System.IO;
using Microsoft.CodeAnalysis;
using RetryAnalyzers.Rules;

namespace RetryAnalyzers.Internal;

/// <summary>What RA0003's two analyzers share: where they stay quiet, and the properties a diagnostic hands to the fix.</summary>
internal static class KeyRules
{
    private static readonly string[] TestFrameworks =
    {
        "Xunit.FactAttribute",
        "NUnit.Framework.TestAttribute",
        "Microsoft.VisualStudio.TestTools.UnitTesting.TestMethodAttribute",
    };

    // Assembly name roots of the SDKs whose clients, credentials and registrations take a key.
    private static readonly string[] SdkAssemblies =
    {
        "OpenAI", "Azure.AI", "Azure.Core", "System.ClientModel", "Anthropic", "Microsoft.SemanticKernel", "AutoGen", "Microsoft.AutoGen",
        "Microsoft.Agents.AI", "Microsoft.Extensions.AI",
    };

    /// <summary>A test project (xunit, NUnit or MSTest referenced): keys in the tests of the user's own code.</summary>
    public static bool IsTestCompilation(Compilation compilation)
    {
        foreach (var name in TestFrameworks)
        {
            if (compilation.GetTypeByMetadataName(name) is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The compilation references an LLM SDK or the credential types clients are built from. Without one, a key can only
    /// reach a provider through a hand-written HTTP header. Read from the references' file and project names, so it
    /// binds no reference (the first lookup of a type or of the referenced assemblies loads every reference's metadata).
    /// </summary>
    public static bool ReferencesSdk(Compilation compilation)
    {
        foreach (var name in ReferenceNames.Of(compilation))
        {
            if (IsSdk(name))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsSdk(string assembly)
    {
        foreach (var root in SdkAssemblies)
        {
            if (assembly.Equals(root, StringComparison.OrdinalIgnoreCase) || assembly.StartsWith(root + ".", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// RA0003 has something to look at: an SDK is referenced, or the project declares a type named <c>…Agent</c> (without an
    /// SDK, only such a type can be an agent, its key in a hand-written header). Otherwise it registers nothing.
    /// </summary>
    public static bool MayShareKeys(Compilation compilation)
        => ReferencesSdk(compilation) || compilation.ContainsSymbolsWithName(static name => name.EndsWith("Agent", StringComparison.Ordinal), SymbolFilter.Type);

    /// <summary>
    /// A class with test methods (<c>[Fact]</c>, <c>[Theory]</c>, <c>[Test]</c>, <c>[TestCase]</c>, <c>[TestMethod]</c>), by
    /// attribute name so that it also holds when the test framework is not referenced by this compilation, or a test
    /// fixture or base class by its conventional name (<c>BaseAssistantTest</c>, <c>ChatTests</c>, <c>KeyFixture</c>).
    /// </summary>
    public static bool IsTestClass(INamedTypeSymbol type)
    {
        if (type.Name.EndsWith("Test", StringComparison.Ordinal) || type.Name.EndsWith("Tests", StringComparison.Ordinal) ||
            type.Name.EndsWith("Fixture", StringComparison.Ordinal))
        {
            return true;
        }

        foreach (var member in type.GetMembers())
        {
            if (member is not IMethodSymbol method)
            {
                continue;
            }

            foreach (var attribute in method.GetAttributes())
            {
                if (attribute.AttributeClass?.Name is "FactAttribute" or "TheoryAttribute" or "TestAttribute" or "TestCaseAttribute" or "TestMethodAttribute" or
                    "Fact" or "Theory" or "Test" or "TestCase" or "TestMethod")
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// A client or credential created for every item of a loop or projection, on a key that does not come from the item:
    /// RA0003's per-item case. Not a header (one client sends many requests) nor a registration (services of one kernel).
    /// </summary>
    public static bool IsPerItem(KeySite site, IOperation operation)
        => site.Shape is KeySiteShape.ClientCreation or KeySiteShape.Credential && ItemScopes.Of(operation) is { } scope && ItemScopes.IsInvariant(site.Key, scope);

    /// <summary>The analyzer → fix contract of a diagnostic's properties.</summary>
    public static ImmutableDictionary<string, string?> Properties(KeySite site, string agent, bool perItem)
        => ImmutableDictionary<string, string?>.Empty
            .Add(RA0003SharedApiKeyAnalyzer.ShapeKey, site.Shape.ToString())
            .Add(RA0003SharedApiKeyAnalyzer.SourceKindKey, site.Source.Kind.ToString())
            .Add(RA0003SharedApiKeyAnalyzer.SourceNameKey, site.Source.Name)
            .Add(RA0003SharedApiKeyAnalyzer.AgentKey, agent)
            .Add(RA0003SharedApiKeyAnalyzer.PerItemKey, perItem ? "true" : "false");
}
