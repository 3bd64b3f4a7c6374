using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.Rules;

/// <summary>
/// RA0008: a retry predicate that takes server errors but leaves 429 Too Many Requests out, so a throttled call fails at
/// once and the caller (or the orchestrator) retries the whole job.
/// <para>Reports when:</para>
/// <list type="bullet">
/// <item>Polly.Extensions.Http's <c>HandleTransientHttpError()</c> (or <c>OrTransientHttpError()</c>, the status-code
/// variants) feeds a retry and the chain adds no predicate that takes 429 — at that call;</item>
/// <item>Microsoft.Extensions.Http.Polly's <c>AddTransientHttpErrorPolicy(p =&gt; p.…Retry…)</c> adds none — at the method name;</item>
/// <item>a Polly v8 <c>ShouldHandle</c> over <c>HttpResponseMessage</c> takes a 5xx and not 429 — at the assignment;</item>
/// <item>a hand-written retry loop waits only under a check that takes a 5xx and not 429, or leaves (<c>return</c>,
/// <c>throw</c>) on 429 before its wait while staying on a 5xx — at that check.</item>
/// </list>
/// <para>Quiet: 429 taken (explicitly, through <c>!IsSuccessStatusCode</c>, <c>HttpClientResiliencePredicates.IsTransient</c>,
/// or the standard resilience handler's defaults); a predicate that names 429 at all (a deliberate choice); anything
/// the rule cannot read to the end (a method group, a helper, a status list); circuit breakers and other non-retry policies.</para>
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RA0008TooManyRequestsNotRetriedAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptors.RA0008TooManyRequestsNotRetried);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            // Syntax actions filter by name (a transient-error source, a wait, a ShouldHandle assignment) and bind only those.
            var compilation = start.Compilation;
            var symbols = new Lazy<RetrySymbols?>(() => RetrySymbols.TryCreate(compilation) is { HttpResponseMessage: not null } found ? found : null);
            start.RegisterSyntaxNodeAction(
                node =>
                {
                    var syntax = (InvocationExpressionSyntax)node.Node;
                    var name = SyntaxNames.Of(syntax.Expression);
                    if ((TooManyRequestsSites.IsTransientSource(name) || name == "AddTransientHttpErrorPolicy") &&
                        node.SemanticModel.GetOperation(syntax, node.CancellationToken) is IInvocationOperation invocation)
                    {
                        if (name == "AddTransientHttpErrorPolicy")
                        {
                            Report(node, TooManyRequestsSites.AnalyzeTransientPolicy(invocation) is { } at ? (at, TooManyRequestsSites.AfterBuilderParameter) : null, "AddTransientHttpErrorPolicy");
                        }
                        else
                        {
                            Report(node, TooManyRequestsSites.AnalyzeTransientSource(invocation) is { } at ? (at, TooManyRequestsSites.AfterSource) : null, name + "()");
                        }
                    }
                },
                SyntaxKind.InvocationExpression);
            start.RegisterSyntaxNodeAction(
                node =>
                {
                    var syntax = (AssignmentExpressionSyntax)node.Node;
                    if (SyntaxNames.Of(syntax.Left) == "ShouldHandle" && symbols.Value is { RetryStrategyOptionsOfT: not null } retrySymbols &&
                        node.SemanticModel.GetOperation(syntax, node.CancellationToken) is ISimpleAssignmentOperation assignment)
                    {
                        Report(node, TooManyRequestsSites.AnalyzeShouldHandle(assignment, retrySymbols), "This ShouldHandle");
                    }
                },
                SyntaxKind.SimpleAssignmentExpression);

            // A loop is analysed as a whole (the check reported lies outside its wait), and only when it waits after a failure.
            start.RegisterSyntaxNodeAction(
                node =>
                {
                    if (HasWait(node.Node) && SyntaxNames.MayRetryAfterFailure(node.Node) && symbols.Value is { } retrySymbols &&
                        node.SemanticModel.GetOperation(node.Node, node.CancellationToken) is ILoopOperation loop)
                    {
                        AnalyzeLoop(node, loop, retrySymbols);
                    }
                },
                SyntaxKind.ForStatement,
                SyntaxKind.WhileStatement,
                SyntaxKind.DoStatement);
        });
    }

    private static bool HasWait(SyntaxNode loop)
    {
        foreach (var node in loop.DescendantNodes())
        {
            if (node is InvocationExpressionSyntax call && SyntaxNames.Of(call.Expression) is "Delay" or "Sleep")
            {
                return true;
            }
        }

        return false;
    }

    private static void AnalyzeLoop(SyntaxNodeAnalysisContext context, ILoopOperation loop, RetrySymbols symbols)
    {
        Location? reported = null;
        foreach (var operation in loop.Body.Descendants())
        {
            if (operation is IInvocationOperation { TargetMethod.Name: "Delay" or "Sleep" } wait && HandWrittenRetryLoops.EnclosingLoop(wait) == loop &&
                TooManyRequestsSites.AnalyzeLoopWait(wait, symbols) is { } site && site.Location != reported)
            {
                reported = site.Location;
                Report(context, site, "This retry loop's status check");
            }
        }
    }

    private static void Report(SyntaxNodeAnalysisContext context, (Location Location, string? Fix)? site, string subject)
    {
        if (site is { } found)
        {
            var properties = found.Fix is null
                ? ImmutableDictionary<string, string?>.Empty
                : ImmutableDictionary<string, string?>.Empty.Add(TooManyRequestsSites.FixKey, found.Fix);
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.RA0008TooManyRequestsNotRetried, found.Location, properties, subject));
        }
    }
}
