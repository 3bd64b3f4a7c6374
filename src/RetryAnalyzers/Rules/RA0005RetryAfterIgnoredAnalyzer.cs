using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.Rules;

/// <summary>
/// RA0005: a retry on 429 that waits its own schedule and never reads the provider's Retry-After.
/// <para>Reports when:</para>
/// <list type="bullet">
/// <item>a Polly v8 <c>RetryStrategyOptions&lt;HttpResponseMessage&gt;</c> has a <c>ShouldHandle</c> that takes 429
/// (an explicit 429 check, <c>!IsSuccessStatusCode</c>, <c>HttpClientResiliencePredicates.IsTransient</c>) and no
/// <c>DelayGenerator</c> — at the creation;</item>
/// <item>an <c>HttpRetryStrategyOptions</c> is told <c>ShouldRetryAfterHeader = false</c> while it retries 429 (its default
/// predicate does) — at that assignment, also outside an initializer (<c>AddStandardResilienceHandler(o =&gt; o.Retry.ShouldRetryAfterHeader = false)</c>).</item>
/// </list>
/// <para>Does not report when:</para>
/// <list type="bullet">
/// <item>any <c>DelayGenerator</c> is set (it decides the wait), or the options escape to code we cannot see;</item>
/// <item>the predicate is a method group or a helper we cannot read, or does not take 429;</item>
/// <item><c>HttpRetryStrategyOptions</c> with its default <c>ShouldRetryAfterHeader</c>; options over another result type.</item>
/// </list>
/// Not reported yet: Polly v7 <c>WaitAndRetry</c> policies and hand-written loops (see analyzers-docs/RA0005.md).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RA0005RetryAfterIgnoredAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.RA0005RetryAfterIgnored);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var symbols = RetrySymbols.TryCreate(start.Compilation);
            if (symbols?.RetryStrategyOptionsOfT is null || symbols.HttpResponseMessage is null)
            {
                return;
            }

            start.RegisterOperationAction(
                operation =>
                {
                    var creation = (IObjectCreationOperation)operation.Operation;
                    if (RetryAfterSites.AnalyzeV8Options(creation, symbols) is { } site && operation.Operation.Syntax.SyntaxTree == site.Location.SourceTree)
                    {
                        var properties = ImmutableDictionary<string, string?>.Empty.Add(RetryAfterSites.FixKey, site.Fix);
                        operation.ReportDiagnostic(Diagnostic.Create(Descriptors.RA0005RetryAfterIgnored, site.Location, properties, Describe(creation)));
                    }
                },
                OperationKind.ObjectCreation);
            start.RegisterOperationAction(
                operation =>
                {
                    if (RetryAfterSites.AnalyzeHeaderSwitchedOff((ISimpleAssignmentOperation)operation.Operation) is { } location)
                    {
                        var properties = ImmutableDictionary<string, string?>.Empty.Add(RetryAfterSites.FixKey, RetryAfterSites.HeaderOn);
                        operation.ReportDiagnostic(Diagnostic.Create(Descriptors.RA0005RetryAfterIgnored, location, properties, "This HttpRetryStrategyOptions"));
                    }
                },
                OperationKind.SimpleAssignment);
        });
    }

    private static string Describe(IObjectCreationOperation creation) => "This " + creation.Type?.Name + " (Polly v8)";
}
