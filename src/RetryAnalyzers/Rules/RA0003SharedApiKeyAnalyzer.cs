using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.Rules;

/// <summary>
/// RA0003: the same key source handed to provider clients in two or more agent types (across the files of the
/// compilation), or a client created per item of a loop or LINQ projection on one key.
/// <para>Key hand-offs: <c>new OpenAIClient(key)</c>, <c>new ChatClient(model, key)</c> and siblings, <c>new ApiKeyCredential(key)</c>,
/// <c>new AzureKeyCredential(key)</c>, <c>new AnthropicClient { ApiKey = key }</c>, <c>headers.Add("x-api-key" | "api-key" | "Authorization", …)</c>,
/// <c>Authorization = new AuthenticationHeaderValue("Bearer", key)</c>, registrations with an <c>apiKey</c> parameter (Semantic Kernel).</para>
/// <para>Key sources compared: an environment variable name, a configuration key, a field or property (followed to its
/// initializer when it reads the environment or configuration), a string constant. A parameter or a call (for example
/// <c>AgentKeys.Resolve</c>) is not a known source and is never reported.</para>
/// <para>Quiet: one agent type using the key (one client for the whole app), distinct keys per agent, clients routed through
/// the runtime's <c>SharedProviderBudget</c>, test projects (xunit, NUnit, MSTest referenced) and test classes.</para>
/// Sites are collected per operation and reported at the end of the compilation, every site of a shared key.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RA0003SharedApiKeyAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The <see cref="Diagnostic.Properties"/> key of the site's <see cref="KeySiteShape"/>.</summary>
    public const string ShapeKey = "KeySiteShape";

    /// <summary>The <see cref="Diagnostic.Properties"/> key of the key source's kind.</summary>
    public const string SourceKindKey = "KeySourceKind";

    /// <summary>The <see cref="Diagnostic.Properties"/> key of the environment variable or configuration key.</summary>
    public const string SourceNameKey = "KeySourceName";

    /// <summary>The <see cref="Diagnostic.Properties"/> key of the agent (the containing type's name).</summary>
    public const string AgentKey = "Agent";

    /// <summary>The <see cref="Diagnostic.Properties"/> key set ("true") when the site creates a client per item of a loop.</summary>
    public const string PerItemKey = "PerItem";

    // Agents named in a message; more are counted (a message listing 2,000 agents was 21k characters).
    private const int MaxAgentNames = 3;

    private static readonly string[] TestFrameworks =
    {
        "Xunit.FactAttribute",
        "NUnit.Framework.TestAttribute",
        "Microsoft.VisualStudio.TestTools.UnitTesting.TestMethodAttribute",
    };

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.RA0003SharedApiKey);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var compilation = start.Compilation;
            if (TestFrameworks.Any(name => compilation.GetTypeByMetadataName(name) is not null))
            {
                return; // keys in the tests of the user's own code
            }

            var sharedBudget = compilation.GetTypeByMetadataName(KnownTypes.RuntimeSharedProviderBudget);
            var sites = new ConcurrentBag<(KeySite Site, Location Location, INamedTypeSymbol Agent, bool PerItem)>();
            start.RegisterOperationAction(
                operation =>
                {
                    if (KeySites.Find(operation.Operation, sharedBudget) is { Budgeted: false } site &&
                        operation.ContainingSymbol.ContainingType is { } agent &&
                        !IsTestClass(agent))
                    {
                        sites.Add((site, operation.Operation.Syntax.GetLocation(), agent, IsPerItem(operation.Operation)));
                    }
                },
                OperationKind.ObjectCreation,
                OperationKind.Invocation,
                OperationKind.SimpleAssignment);

            start.RegisterCompilationEndAction(end =>
            {
                // Reported in source order, so builds, SARIF and `dotnet format` see the same sequence every run.
                var ordered = sites
                    .OrderBy(s => s.Location.SourceTree?.FilePath, System.StringComparer.Ordinal)
                    .ThenBy(s => s.Location.SourceSpan.Start);
                foreach (var group in ordered.GroupBy(s => s.Site.Source.Id))
                {
                    var agents = group.Select(s => s.Agent).Distinct<INamedTypeSymbol>(SymbolEqualityComparer.Default).OrderBy(a => a.Name, System.StringComparer.Ordinal).ToList();
                    foreach (var (site, location, agent, perItem) in group)
                    {
                        string? who = agents.Count >= 2
                            ? string.Format(CultureInfo.InvariantCulture, "{0} agents ({1})", agents.Count, AgentNames(agents, agent))
                            : perItem ? "Clients created for every item of a loop in " + agent.Name : null;
                        if (who is null)
                        {
                            continue;
                        }

                        var properties = ImmutableDictionary<string, string?>.Empty
                            .Add(ShapeKey, site.Shape.ToString())
                            .Add(SourceKindKey, site.Source.Kind.ToString())
                            .Add(SourceNameKey, site.Source.Name)
                            .Add(AgentKey, agent.Name)
                            .Add(PerItemKey, perItem ? "true" : "false");
                        end.ReportDiagnostic(Diagnostic.Create(Descriptors.RA0003SharedApiKey, location, properties, who, site.Source.Display));
                    }
                }
            });
        });
    }

    // A class with test methods ([Fact], [Theory], [Test], [TestCase], [TestMethod]), by attribute name so that it also
    // holds when the test framework is not referenced by this compilation.
    // Up to three agents by name; more are counted, the reporting site's agent first: "ResearchAgent, WriterAgent and 12 more".
    private static string AgentNames(List<INamedTypeSymbol> agents, INamedTypeSymbol site)
    {
        if (agents.Count <= MaxAgentNames)
        {
            return string.Join(", ", agents.Select(a => a.Name));
        }

        var other = agents.First(a => !SymbolEqualityComparer.Default.Equals(a, site));
        return string.Format(CultureInfo.InvariantCulture, "{0}, {1} and {2} more", site.Name, other.Name, agents.Count - 2);
    }

    private static bool IsTestClass(INamedTypeSymbol type)
    {
        // Test fixtures and base classes of tests by their conventional names (BaseAssistantTest, ChatTests, KeyFixture).
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

    // Inside a loop, or a lambda given to a LINQ operator, of the same member.
    private static bool IsPerItem(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case ILoopOperation:
                    return true;
                case IAnonymousFunctionOperation lambda:
                    return lambda.Parent is IDelegateCreationOperation { Parent: IArgumentOperation { Parent: IInvocationOperation { TargetMethod.ContainingType.Name: "Enumerable" or "ParallelEnumerable" } } };
                case ILocalFunctionOperation:
                    return false;
            }
        }

        return false;
    }
}
