using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.Rules;

/// <summary>
/// RA0001: a retry whose wait does not grow with the attempt.
/// <para>Reports when:</para>
/// <list type="bullet">
/// <item>a Polly v7 <c>WaitAndRetry[Forever][Async]</c> sleep-duration provider returns the same wait whatever the attempt;</item>
/// <item>a Polly v7 <c>WaitAndRetry[Async]</c> is given an array or collection expression of two or more identical delays;</item>
/// <item>Polly.Contrib.WaitAndRetry <c>Backoff.ConstantBackoff</c> is called;</item>
/// <item>a Polly v8 <c>RetryStrategyOptions[&lt;T&gt;]</c> has <c>BackoffType</c> <c>Constant</c>, set explicitly or left at
/// Polly's default, without jitter and without a <c>DelayGenerator</c>;</item>
/// <item>a hand-written <c>for</c>/<c>while</c>/<c>do</c> retry loop waits with <c>Task.Delay</c>/<c>Thread.Sleep</c> after a failure,
/// for a constant, a field, a parameter or a local that does not change between attempts.</item>
/// </list>
/// <para>Does not report when:</para>
/// <list type="bullet">
/// <item>the wait grows with the attempt (that is RA0002's business when it has no jitter) or has randomness in it;</item>
/// <item>a <c>DelayGenerator</c>, a method group or any call we cannot see into computes the wait;</item>
/// <item>the options type is a subclass with its own defaults (<c>HttpRetryStrategyOptions</c>) and nothing sets Constant without jitter;</item>
/// <item>Polly's defaults apply but the options object escapes to code we cannot see (a field, a return, a configuration binder);</item>
/// <item>the delay is in a polling loop, a periodic worker loop, a <c>foreach</c>, or is not preceded by a failure.</item>
/// </list>
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RA0001FixedDelayRetryAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.RA0001FixedDelayRetry);

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

            if (symbols.RetryStrategyOptions is not null || symbols.RetryStrategyOptionsOfT is not null)
            {
                start.RegisterOperationAction(
                    operation => Report(operation, PollyV8RetryOptions.Analyze((IObjectCreationOperation)operation.Operation, symbols)),
                    OperationKind.ObjectCreation);
            }
        });
    }

    private static void Report(OperationAnalysisContext context, RetrySite? site)
    {
        if (site is { Delay.Kind: DelayKind.Constant } constant)
        {
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.RA0001FixedDelayRetry, constant.Location, constant.Properties, constant.DelayText));
        }
    }
}
