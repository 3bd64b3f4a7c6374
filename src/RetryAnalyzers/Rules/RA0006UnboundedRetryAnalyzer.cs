using System;
using System.Collections.Immutable;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.Rules;

/// <summary>
/// RA0006: a retry that nothing bounds — no cap on its attempts, or a wait taken from a Retry-After header with no cap.
/// <para>Reports when:</para>
/// <list type="bullet">
/// <item>Polly v7 <c>RetryForever[Async]</c> / <c>WaitAndRetryForever[Async]</c>, or <c>Retry[Async]</c> /
/// <c>WaitAndRetry[Async]</c> with <c>int.MaxValue</c> retries (at the method name);</item>
/// <item>Polly v8 <c>MaxRetryAttempts = int.MaxValue</c> on <c>RetryStrategyOptions[&lt;T&gt;]</c> or a subclass such as
/// <c>HttpRetryStrategyOptions</c> (at the assignment);</item>
/// <item>a hand-written retry loop (<see cref="HandWrittenRetryLoops"/>: it waits after a failure and leaves on success)
/// whose condition is <c>true</c>, a flag or the caller's token, with no attempt counter, deadline or budget in its
/// condition or body (at its <c>Task.Delay</c> / <c>Thread.Sleep</c>);</item>
/// <item>a <c>Task.Delay</c> / <c>Thread.Sleep</c> of a value taken from a Retry-After header with no cap (at the wait).</item>
/// <item>a Polly v7 sleep-duration provider or a Polly v8 <c>DelayGenerator</c> that returns such a value (at the value).</item>
/// </list>
/// <para>Does not report when:</para>
/// <list type="bullet">
/// <item>the retry count is finite, or not a constant;</item>
/// <item>the loop has a counter compared with a limit, a deadline (a <c>Stopwatch</c>, <c>DateTime</c> or
/// <c>DateTimeOffset</c> comparison, a token from <c>new CancellationTokenSource(timeout)</c> / <c>CancelAfter</c>), a
/// budget or a rate limiter, or a condition it cannot read; worker and polling loops that never leave on success;</item>
/// <item>the header's value goes through <c>Math.Min</c> / <c>Clamp</c> or is compared with a cap in the member.</item>
/// </list>
/// A fixed-delay forever policy is also RA0001 (at its delay): two facts, two places.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RA0006UnboundedRetryAnalyzer : DiagnosticAnalyzer
{
    /// <summary>The <see cref="Diagnostic.Properties"/> key of the site's <see cref="UnboundedRetryShape"/>.</summary>
    public const string ShapeKey = "UnboundedRetryShape";

    /// <summary>The <see cref="Diagnostic.Properties"/> key of the configured retry cap.</summary>
    public const string MaxAttemptsKey = "MaxAttempts";

    /// <summary>The <see cref="Diagnostic.Properties"/> key of the configured Retry-After cap, in seconds.</summary>
    public const string MaxRetryAfterKey = "MaxRetryAfterSeconds";

    /// <summary>The <c>.editorconfig</c> key of the number of retries the fix writes.</summary>
    public const string MaxAttemptsOption = "dotnet_diagnostic.RA0006.max_attempts";

    /// <summary>The <c>.editorconfig</c> key of the longest Retry-After wait the fix allows, in seconds.</summary>
    public const string MaxRetryAfterOption = "dotnet_diagnostic.RA0006.max_retry_after";

    /// <summary>The retries the fix writes when none is configured.</summary>
    public const int DefaultMaxAttempts = 5;

    /// <summary>The Retry-After cap the fix writes when none is configured, in seconds.</summary>
    public const int DefaultMaxRetryAfterSeconds = 60;

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.RA0006UnboundedRetry);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            // Nothing is resolved or bound up front: a syntax action looks at the name of each call and assignment, and
            // only a wait, a Polly retry call or a MaxRetryAttempts assignment is bound (most code has none of them).
            var compilation = start.Compilation;
            var symbols = new Lazy<RetrySymbols?>(() => RetrySymbols.TryCreate(compilation));
            var headers = new Lazy<INamedTypeSymbol?>(() => compilation.GetTypeByMetadataName(KnownTypes.HttpResponseHeaders));
            start.RegisterSyntaxNodeAction(
                node =>
                {
                    var syntax = (InvocationExpressionSyntax)node.Node;
                    if (IsCandidate(syntax) && symbols.Value is { } retrySymbols &&
                        node.SemanticModel.GetOperation(syntax, node.CancellationToken) is IInvocationOperation invocation)
                    {
                        AnalyzeInvocation(node, invocation, retrySymbols, headers.Value);
                    }
                },
                SyntaxKind.InvocationExpression);
            start.RegisterSyntaxNodeAction(
                node =>
                {
                    var syntax = (AssignmentExpressionSyntax)node.Node;
                    var name = SyntaxNames.Of(syntax.Left);

                    // A DelayGenerator is reported for the uncapped Retry-After it returns: the member must name one.
                    if ((name == "MaxRetryAttempts" || (name == "DelayGenerator" && SyntaxNames.MemberMentionsRetryAfter(syntax))) &&
                        symbols.Value?.RetryStrategyOptionsOfT is { } options &&
                        node.SemanticModel.GetOperation(syntax, node.CancellationToken) is ISimpleAssignmentOperation assignment)
                    {
                        AnalyzeAssignment(node, assignment, options, headers.Value);
                    }
                },
                SyntaxKind.SimpleAssignmentExpression);
        });
    }

    // Task.Delay / Thread.Sleep (or Delay / Sleep through `using static`) in a retry loop's place or in a member that
    // reads a Retry-After (the header analysis stays within one member), and Polly v7's retry methods.
    private static bool IsCandidate(InvocationExpressionSyntax syntax) => SyntaxNames.Of(syntax.Expression) switch
    {
        "Delay" or "Sleep" => (syntax.Expression is not MemberAccessExpressionSyntax { Expression: var receiver } || SyntaxNames.Of(receiver) is "Task" or "Thread") &&
                              ((SyntaxNames.EnclosingForOrWhileLoop(syntax) is { } loop && SyntaxNames.MayRetryAfterFailure(loop)) || SyntaxNames.MemberMentionsRetryAfter(syntax)),
        "Retry" or "RetryAsync" or "RetryForever" or "RetryForeverAsync" or
        "WaitAndRetry" or "WaitAndRetryAsync" or "WaitAndRetryForever" or "WaitAndRetryForeverAsync" => true,
        _ => false,
    };

    private static void AnalyzeInvocation(SyntaxNodeAnalysisContext context, IInvocationOperation invocation, RetrySymbols symbols, INamedTypeSymbol? headers)
    {
        var method = invocation.TargetMethod;
        if (method.Name.IndexOf("Retry", StringComparison.Ordinal) >= 0 && symbols.IsPollyV7RetrySyntax(method.ContainingType))
        {
            if (SymbolEqualityComparer.Default.Equals(context.ContainingSymbol?.ContainingType, method.ContainingType))
            {
                return; // Polly's own overloads forwarding to each other
            }

            var shape = method.Name.IndexOf("Forever", StringComparison.Ordinal) >= 0 ? UnboundedRetryShape.PollyV7Forever
                : RetriesForever(invocation) ? UnboundedRetryShape.PollyV7MaxValueCount
                : (UnboundedRetryShape?)null;
            if (shape is { } found && invocation.Syntax is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access })
            {
                var site = found == UnboundedRetryShape.PollyV7Forever ? method.Name : method.Name + "(int.MaxValue, …)";
                Report(context, found, access.Name.GetLocation(), site, "its attempts");
            }

            // WaitAndRetry*(n, (attempt, outcome, context) => outcome.Result.Headers.RetryAfter.Delta.Value): another fact, at the value.
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter?.Name == "sleepDurationProvider")
                {
                    ReportUncappedReturns(context, argument.Value, UnboundedRetryShape.RetryAfterSleepProvider, "This sleep duration", headers);
                }
            }

            return;
        }

        if (HandWrittenRetryLoops.DelayArgument(invocation, symbols) is not { } wait)
        {
            return;
        }

        if (RetryAfterWaits.IsUncapped(wait, headers))
        {
            Report(context, UnboundedRetryShape.RetryAfterWait, invocation.Syntax.GetLocation(), "This wait", "the Retry-After it takes from the response");
        }
        else if (HandWrittenRetryLoops.RetryLoopOf(invocation, symbols) is { } loop && UnboundedLoops.IsUnbounded(loop, symbols.Compilation))
        {
            Report(context, UnboundedRetryShape.HandWrittenLoop, invocation.Syntax.GetLocation(), "This retry loop", "its attempts");
        }
    }

    // options.MaxRetryAttempts = int.MaxValue (in the initializer or later); DelayGenerator = args => … Retry-After with no cap.
    private static void AnalyzeAssignment(SyntaxNodeAnalysisContext context, ISimpleAssignmentOperation assignment, INamedTypeSymbol retryOptions, INamedTypeSymbol? headers)
    {
        if (assignment.Target is not IPropertyReferenceOperation { Property: var property } ||
            !SymbolEqualityComparer.Default.Equals(property.ContainingType.OriginalDefinition, retryOptions))
        {
            return;
        }

        if (property.Name == "MaxRetryAttempts" && assignment.Value.ConstantValue is { HasValue: true, Value: int.MaxValue })
        {
            Report(context, UnboundedRetryShape.PollyV8MaxRetryAttempts, assignment.Syntax.GetLocation(), "MaxRetryAttempts = int.MaxValue", "the attempts");
        }
        else if (property.Name == "DelayGenerator")
        {
            // Polly v8 applies MaxDelay to its own backoff, not to a generator's delay.
            ReportUncappedReturns(context, assignment.Value, UnboundedRetryShape.RetryAfterDelayGenerator, "This delay", headers);
        }
    }

    // The values a lambda returns that are Retry-After values with no cap.
    private static void ReportUncappedReturns(SyntaxNodeAnalysisContext context, IOperation value, UnboundedRetryShape shape, string site, INamedTypeSymbol? headers)
    {
        if (value.WithoutConversions() is not IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda })
        {
            return;
        }

        foreach (var operation in lambda.Body.Descendants())
        {
            if (operation is IReturnOperation { ReturnedValue: { } returned } && !InNestedFunction(operation, lambda) && RetryAfterWaits.IsUncapped(returned, headers))
            {
                Report(context, shape, returned.Syntax.GetLocation(), site, "the Retry-After it takes from the response");
            }
        }
    }

    private static bool InNestedFunction(IOperation operation, IOperation lambda)
    {
        for (var current = operation.Parent; current is not null && current != lambda; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return true;
            }
        }

        return false;
    }

    // WaitAndRetryAsync(int.MaxValue, …): Polly v7's own idiom for "forever".
    private static bool RetriesForever(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Name == "retryCount")
            {
                return argument.Value.ConstantValue is { HasValue: true, Value: int.MaxValue };
            }
        }

        return false;
    }

    private static void Report(SyntaxNodeAnalysisContext context, UnboundedRetryShape shape, Location location, string site, string unbounded)
    {
        var tree = context.Node.SyntaxTree;
        var properties = ImmutableDictionary<string, string?>.Empty
            .Add(ShapeKey, shape.ToString())
            .Add(MaxAttemptsKey, Text(RuleOptions.PositiveInteger(context.Options, tree, MaxAttemptsOption, DefaultMaxAttempts)))
            .Add(MaxRetryAfterKey, Text(RuleOptions.PositiveInteger(context.Options, tree, MaxRetryAfterOption, DefaultMaxRetryAfterSeconds)));
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.RA0006UnboundedRetry, location, properties, site, unbounded));
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
