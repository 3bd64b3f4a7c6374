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
/// <item>a Polly v7 <c>HandleResult(…429…)</c> / <c>OrResult(…429…)</c> policy's <c>WaitAndRetry*</c> sleep-duration
/// lambda never reads its <c>DelegateResult&lt;T&gt;</c> outcome — at the lambda (no fix).</item>
/// </list>
/// <para>Does not report when:</para>
/// <list type="bullet">
/// <item>any <c>DelayGenerator</c> is set (it decides the wait), or the options escape to code we cannot see;</item>
/// <item>the predicate is a method group or a helper we cannot read, or does not take 429;</item>
/// <item><c>HttpRetryStrategyOptions</c> with its default <c>ShouldRetryAfterHeader</c>; options over another result type.</item>
/// </list>
/// Also a hand-written retry loop's <c>Task.Delay</c> / <c>Thread.Sleep</c> under an <c>if</c> or <c>catch</c> filter that
/// takes 429, in a loop that never reads Retry-After (fixed when it is an awaited <c>Task.Delay</c> under a check of an <c>HttpResponseMessage</c> local).
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
            if (symbols?.HttpResponseMessage is null)
            {
                return;
            }

            var pollyV7 = System.Array.Exists(symbols.PollyRetrySyntaxTypes, type => type is not null);
            start.RegisterOperationAction(
                operation =>
                {
                    var invocation = (IInvocationOperation)operation.Operation;
                    if (pollyV7 && RetryAfterSites.AnalyzeV7Policy(invocation, symbols) is { } provider)
                    {
                        Report(operation, provider, fix: null, "This Polly v7 sleep-duration provider");
                    }
                    else
                    {
                        var wait = RetryAfterSites.AnalyzeLoopWait(invocation, symbols);
                        var fix = wait is not null && RetryAfterSites.CheckedResponse(invocation, symbols) is not null ? RetryAfterSites.LoopDelay : null;
                        Report(operation, wait, fix, "This retry loop's wait");
                    }
                },
                OperationKind.Invocation);

            if (symbols.RetryStrategyOptionsOfT is null)
            {
                return;
            }

            start.RegisterOperationAction(
                operation =>
                {
                    var creation = (IObjectCreationOperation)operation.Operation;
                    if (RetryAfterSites.AnalyzeV8Options(creation, symbols) is { } site)
                    {
                        Report(operation, site.Location, site.Fix, "This " + creation.Type?.Name + " (Polly v8)");
                    }
                },
                OperationKind.ObjectCreation);
            start.RegisterOperationAction(
                operation => Report(operation, RetryAfterSites.AnalyzeHeaderSwitchedOff((ISimpleAssignmentOperation)operation.Operation), RetryAfterSites.HeaderOn, "This HttpRetryStrategyOptions"),
                OperationKind.SimpleAssignment);
        });
    }

    private static void Report(OperationAnalysisContext context, Location? location, string? fix, string subject)
    {
        if (location is not null)
        {
            var properties = fix is null ? ImmutableDictionary<string, string?>.Empty : ImmutableDictionary<string, string?>.Empty.Add(RetryAfterSites.FixKey, fix);
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.RA0005RetryAfterIgnored, location, properties, subject));
        }
    }
}
