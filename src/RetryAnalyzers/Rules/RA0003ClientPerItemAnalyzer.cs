using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.Rules;

/// <summary>
/// RA0003, within one member (reported as you type): a provider client created for every item of a <c>for</c>/<c>foreach</c>
/// loop, a LINQ projection, <c>Parallel.For[Each][Async]</c> or <c>List&lt;T&gt;.ForEach</c>, on a key that does not come from
/// the item — whatever the key's source: an environment variable, configuration, a field, a constant, and also a
/// parameter or a local of the member (<c>Enumerable.Range(0, 7).Select(_ =&gt; new Worker(new OpenAIClient(apiKey)))</c>).
/// <para>Quiet: a key from the item (<c>keys[agent]</c>, <c>item.ApiKey</c>, a local computed from it), a key from a call we
/// cannot see into (a key rotation, <c>AgentKeys.Resolve(name)</c>), placeholder keys, loopback endpoints, clients routed
/// through the runtime's <c>SharedProviderBudget</c>, <c>while</c>/<c>do</c> loops (a client per attempt runs one at a time),
/// test projects and test classes.</para>
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RA0003ClientPerItemAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.RA0003ClientPerItem);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var compilation = start.Compilation;
            if (KeyRules.IsTestCompilation(compilation) || !KeyRules.ReferencesSdk(compilation))
            {
                return; // clients are SDK types: without an SDK there is no client to create per item
            }

            var sharedBudget = compilation.GetTypeByMetadataName(KnownTypes.RuntimeSharedProviderBudget);
            start.RegisterOperationAction(
                operation =>
                {
                    if (KeySites.Find(operation.Operation, sharedBudget) is { Budgeted: false } site &&
                        KeyRules.IsPerItem(site, operation.Operation) &&
                        operation.ContainingSymbol.ContainingType is { } owner &&
                        !KeyRules.IsTestClass(owner))
                    {
                        operation.ReportDiagnostic(Diagnostic.Create(
                            Descriptors.RA0003ClientPerItem,
                            operation.Operation.Syntax.GetLocation(),
                            KeyRules.Properties(site, owner.Name, perItem: true),
                            "Clients created for every item of a loop in " + owner.Name,
                            site.Source.Display));
                    }
                },
                OperationKind.ObjectCreation,
                OperationKind.Invocation);
        });
    }
}
