using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.Rules;

/// <summary>
/// RA0001 (retry with a fixed delay) and RA0002 (retry without jitter), from one walk of the code: each retry site
/// (Polly v7 policy, Polly v8 options, hand-written loop) is found once and its delay classified once, then reported
/// by its class — a constant delay as RA0001, a growing one as RA0002, a jittered or unknown one not at all — so the two
/// rules can never both report a site.
/// <para>Reports when:</para>
/// <list type="bullet">
/// <item>a Polly v7 <c>WaitAndRetry[Forever][Async]</c> sleep-duration provider returns the same wait whatever the attempt
/// (RA0001) or a wait that grows with it without randomness (RA0002) — also when the lambda is held in a local, a
/// readonly or private field, or a null-defaulted parameter (<c>provider ??= n =&gt; …</c>) that nothing else writes,
/// reported at the lambda;</item>
/// <item>a Polly v7 <c>WaitAndRetry[Async]</c> is given an array or collection expression of two or more identical delays
/// (RA0001) or of non-decreasing delays (RA0002);</item>
/// <item>Polly.Contrib.WaitAndRetry <c>Backoff.ConstantBackoff</c> (RA0001), <c>ExponentialBackoff</c> / <c>LinearBackoff</c> (RA0002);</item>
/// <item>a Polly v8 <c>RetryStrategyOptions[&lt;T&gt;]</c> without jitter and without a <c>DelayGenerator</c>: <c>BackoffType</c>
/// <c>Constant</c>, set explicitly or left at Polly's default (RA0001), <c>Exponential</c> or <c>Linear</c> (RA0002);</item>
/// <item>a hand-written <c>for</c>/<c>while</c>/<c>do</c> retry loop waits with <c>Task.Delay</c>/<c>Thread.Sleep</c> after a failure,
/// for a wait that does not change between attempts (RA0001) or one that grows with the attempt (RA0002), including
/// under <c>if (retry)</c> where only a <c>catch</c> sets <c>retry</c>;</item>
/// <item>a helper method such a loop calls after a failure waits with <c>Task.Delay</c>/<c>Thread.Sleep</c> outside
/// any loop of its own: reported once at the helper's wait, classed with what the retry callers pass (no fix).</item>
/// </list>
/// <para>Does not report when:</para>
/// <list type="bullet">
/// <item>the wait has randomness in it (<c>Random</c>, <c>Random.Shared</c>, <c>RandomNumberGenerator</c>, v8 <c>UseJitter = true</c>);</item>
/// <item>a <c>DelayGenerator</c>, a method group or any call we cannot see into computes the wait (jitter helpers included);</item>
/// <item>the options type is a subclass with its own defaults (<c>HttpRetryStrategyOptions</c>) and the code does not set both backoff and jitter;</item>
/// <item>Polly's defaults apply but the options object escapes to code we cannot see (a field, a return, a configuration binder);</item>
/// <item>the delay is in a polling loop, a periodic worker loop, a <c>foreach</c>, or is not preceded by a failure;</item>
/// <item>a held provider's holder is written elsewhere, or a wait helper is reached through another helper, an
/// interface, a virtual call or a delegate.</item>
/// </list>
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RetryDelayAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(Descriptors.RA0001FixedDelayRetry, Descriptors.RA0002RetryWithoutJitter);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            var symbols = RetrySymbols.TryCreate(start.Compilation);
            if (symbols is null)
            {
                return;
            }

            start.RegisterOperationAction(
                operation =>
                {
                    var invocation = (IInvocationOperation)operation.Operation;
                    Report(operation, PollyV7Retries.Analyze(invocation, symbols) ?? HandWrittenRetryLoops.Analyze(invocation, symbols));
                },
                OperationKind.Invocation);
            start.RegisterOperationAction(
                operation => Report(operation, PollyV7Retries.AnalyzeHeldProvider((IAnonymousFunctionOperation)operation.Operation, symbols)),
                OperationKind.AnonymousFunction);

            if (symbols.RetryStrategyOptions is not null || symbols.RetryStrategyOptionsOfT is not null)
            {
                // A site is reported from the operation that contains its location, so the diagnostic is local to the
                // code being analyzed (the IDE computes it on demand, and offers the fix): from the creation when it is in
                // the object initializer, from the later assignment (options.BackoffType = …) otherwise.
                start.RegisterOperationAction(
                    operation => Report(operation, PollyV8RetryOptions.Analyze((IObjectCreationOperation)operation.Operation, symbols)),
                    OperationKind.ObjectCreation);
                start.RegisterOperationAction(
                    operation => Report(operation, PollyV8RetryOptions.AnalyzeLaterAssignment((ISimpleAssignmentOperation)operation.Operation, symbols)),
                    OperationKind.SimpleAssignment);
            }
        });
    }

    private static void Report(OperationAnalysisContext context, RetrySite? site)
    {
        var descriptor = site?.Delay.Kind switch
        {
            DelayKind.Constant => Descriptors.RA0001FixedDelayRetry,
            DelayKind.Growing => Descriptors.RA0002RetryWithoutJitter,
            _ => null,
        };
        if (descriptor is not null && site is { } reported && context.Operation.Syntax.Span.Contains(reported.Location.SourceSpan))
        {
            context.ReportDiagnostic(Diagnostic.Create(descriptor, reported.Location, reported.Properties, reported.DelayText));
        }
    }
}
