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
/// RA0003: one key source feeding provider clients that run side by side. Two cases, two descriptors of one id:
/// <list type="number">
/// <item><b>Per item</b> (reported as you type, from the operation): a client created for every item of a <c>for</c>/<c>foreach</c>
/// loop, a LINQ projection, <c>Parallel.For[Each][Async]</c> or <c>List&lt;T&gt;.ForEach</c>, on a key that does not come from the
/// item — whatever the key's source, a parameter or a local of the member included
/// (<c>Enumerable.Range(0, 7).Select(_ =&gt; new Worker(new OpenAIClient(apiKey)))</c>). Quiet: a key from the item, a key from
/// a call we cannot see into (a rotation, <c>AgentKeys.Resolve(name)</c>), <c>while</c>/<c>do</c> loops (a client per attempt
/// runs one at a time), headers (one client sends many requests).</item>
/// <item><b>Across types</b> (reported at the end of the compilation: a build, or full-solution analysis in an IDE): one key
/// source handed to provider clients in two or more <b>agent types</b> (see <see cref="AgentTypes"/>).</item>
/// </list>
/// <para>Key hand-offs: <c>new OpenAIClient(key)</c>, <c>new ChatClient(model, key)</c> and siblings, <c>new ApiKeyCredential(key)</c>,
/// <c>new AzureKeyCredential(key)</c>, <c>new AnthropicClient { ApiKey = key }</c>, <c>headers.Add("x-api-key" | "api-key" | "Authorization", …)</c>,
/// <c>Authorization = new AuthenticationHeaderValue("Bearer", key)</c>, registrations with an <c>apiKey</c> parameter (Semantic Kernel).</para>
/// <para>Key sources compared: an environment variable name, a configuration key, a field or property (followed to its
/// initializer when it reads the environment or configuration), a string constant. A parameter, a local or a call (for
/// example <c>AgentKeys.Resolve</c>) is not comparable across types and is never reported here.</para>
/// <para>The agent of a site is the class its client is handed to when built in the argument list
/// (<c>new WriterAgent(new OpenAIClient(key))</c>), else the class the site is in, unless the site is in a static method
/// there (a sample's <c>static RunAsync</c> builds a client for the agents it starts; it is not one).</para>
/// <para>Quiet: one agent type using the key (one client for the whole app), sample and snippet classes, factories and
/// DI helpers (not agents), distinct keys per agent, placeholder keys, loopback endpoints, clients routed through the
/// runtime's <c>SharedProviderBudget</c>, test projects (xunit, NUnit, MSTest referenced) and test classes.</para>
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

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.RA0003SharedApiKey, Descriptors.RA0003ClientPerItem);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var compilation = start.Compilation;
            // The cheap test first: the first type lookup by metadata name reads every reference's type table.
            if (!KeyRules.MayShareKeys(compilation) || KeyRules.IsTestCompilation(compilation))
            {
                return; // no SDK and no agent: nothing to look at; or keys in the tests of the user's own code
            }

            var sharedBudget = compilation.GetTypeByMetadataName(KnownTypes.RuntimeSharedProviderBudget);
            var agentTypes = new AgentTypes(compilation.Assembly);
            var sites = new ConcurrentBag<(KeySite Site, Location Location, INamedTypeSymbol Agent, bool PerItem)>();
            start.RegisterOperationAction(
                operation =>
                {
                    if (operation.Operation is IObjectCreationOperation creation)
                    {
                        agentTypes.Created(creation, operation.ContainingSymbol);
                    }

                    if (KeySites.Find(operation.Operation, sharedBudget) is not { Budgeted: false } site ||
                        operation.ContainingSymbol.ContainingType is not { } owner || KeyRules.IsTestClass(owner))
                    {
                        return;
                    }

                    var perItem = KeyRules.IsPerItem(site, operation.Operation);
                    if (perItem)
                    {
                        // The evidence is in this member: reported now, so an editor shows it as the code is typed.
                        operation.ReportDiagnostic(Diagnostic.Create(
                            Descriptors.RA0003ClientPerItem,
                            operation.Operation.Syntax.GetLocation(),
                            KeyRules.Properties(site, owner.Name, perItem: true),
                            "Clients created for every item of a loop in " + owner.Name,
                            site.Source.Display));
                    }

                    if (site.Source.Kind != KeySourceKind.Expression &&
                        AgentTypes.Of(operation.Operation, operation.ContainingSymbol) is { } agent && !KeyRules.IsTestClass(agent))
                    {
                        // A client per item counts for its agent; it is already reported.
                        sites.Add((site, operation.Operation.Syntax.GetLocation(), agent, perItem));
                    }
                },
                // Without an SDK referenced, keys can only go into hand-written headers (invocations and assignments).
                KeyRules.ReferencesSdk(compilation)
                    ? ImmutableArray.Create(OperationKind.ObjectCreation, OperationKind.Invocation, OperationKind.SimpleAssignment)
                    : ImmutableArray.Create(OperationKind.Invocation, OperationKind.SimpleAssignment));

            start.RegisterCompilationEndAction(end =>
            {
                var createdTogether = agentTypes.CreatedTogether(new HashSet<INamedTypeSymbol>(sites.Select(s => s.Agent), SymbolEqualityComparer.Default));

                // Reported in source order, so builds, SARIF and `dotnet format` see the same sequence every run.
                var ordered = sites
                    .Where(s => AgentTypes.IsAgent(s.Agent, createdTogether))
                    .OrderBy(s => s.Location.SourceTree?.FilePath, System.StringComparer.Ordinal)
                    .ThenBy(s => s.Location.SourceSpan.Start);
                foreach (var group in ordered.GroupBy(s => s.Site.Source.Id))
                {
                    var agents = group.Select(s => s.Agent).Distinct<INamedTypeSymbol>(SymbolEqualityComparer.Default).OrderBy(a => a.Name, System.StringComparer.Ordinal).ToList();
                    if (agents.Count < 2)
                    {
                        continue;
                    }

                    foreach (var (site, location, agent, _) in group.Where(s => !s.PerItem))
                    {
                        var who = string.Format(CultureInfo.InvariantCulture, "{0} agents ({1})", agents.Count, AgentNames(agents, agent));
                        end.ReportDiagnostic(Diagnostic.Create(Descriptors.RA0003SharedApiKey, location, KeyRules.Properties(site, agent.Name, perItem: false), who, site.Source.Display));
                    }
                }
            });
        });
    }

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
}
