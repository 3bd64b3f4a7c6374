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
            // Nothing is resolved or bound up front: syntax actions look at names (a wait, a v7 WaitAndRetry*, a
            // RetryStrategyOptions creation, a ShouldRetryAfterHeader assignment) and bind only those; most code has none.
            var compilation = start.Compilation;
            var symbols = new Lazy<RetrySymbols?>(() => RetrySymbols.TryCreate(compilation) is { HttpResponseMessage: not null } found ? found : null);
            var pollyV7 = new Lazy<bool>(() => symbols.Value is { } found && Array.Exists(found.PollyRetrySyntaxTypes, type => type is not null));
            start.RegisterSyntaxNodeAction(
                node =>
                {
                    var syntax = (InvocationExpressionSyntax)node.Node;
                    var name = SyntaxNames.Of(syntax.Expression);
                    var isWait = name is "Delay" or "Sleep" && UnderStatusCheckInLoop(syntax);
                    var isV7 = name is not null && name.StartsWith("WaitAndRetry", StringComparison.Ordinal);
                    if ((isWait || isV7) && symbols.Value is { } retrySymbols &&
                        node.SemanticModel.GetOperation(syntax, node.CancellationToken) is IInvocationOperation invocation)
                    {
                        AnalyzeInvocation(node, invocation, retrySymbols, isV7 && pollyV7.Value);
                    }
                },
                SyntaxKind.InvocationExpression);
            start.RegisterSyntaxNodeAction(
                node =>
                {
                    if (IsOptionsCandidate(node.Node) && symbols.Value is { RetryStrategyOptionsOfT: not null } retrySymbols &&
                        node.SemanticModel.GetOperation(node.Node, node.CancellationToken) is IObjectCreationOperation creation &&
                        RetryAfterSites.AnalyzeV8Options(creation, retrySymbols) is { } site)
                    {
                        Report(node, site.Location, site.Fix, "This " + creation.Type?.Name + " (Polly v8)");
                    }
                },
                SyntaxKind.ObjectCreationExpression,
                SyntaxKind.ImplicitObjectCreationExpression);
            start.RegisterSyntaxNodeAction(
                node =>
                {
                    var syntax = (AssignmentExpressionSyntax)node.Node;
                    if (SyntaxNames.Of(syntax.Left) == "ShouldRetryAfterHeader" && symbols.Value?.RetryStrategyOptionsOfT is not null &&
                        node.SemanticModel.GetOperation(syntax, node.CancellationToken) is ISimpleAssignmentOperation assignment)
                    {
                        Report(node, RetryAfterSites.AnalyzeHeaderSwitchedOff(assignment), RetryAfterSites.HeaderOn, "This HttpRetryStrategyOptions");
                    }
                },
                SyntaxKind.SimpleAssignmentExpression);
        });
    }

    private static void AnalyzeInvocation(SyntaxNodeAnalysisContext context, IInvocationOperation invocation, RetrySymbols symbols, bool pollyV7)
    {
        if (pollyV7 && RetryAfterSites.AnalyzeV7Policy(invocation, symbols) is { } provider)
        {
            Report(context, provider, fix: null, "This Polly v7 sleep-duration provider");
        }
        else
        {
            var wait = RetryAfterSites.AnalyzeLoopWait(invocation, symbols);
            var fix = wait is not null && RetryAfterSites.CheckedResponse(invocation, symbols) is not null ? RetryAfterSites.LoopDelay : null;
            Report(context, wait, fix, "This retry loop's wait");
        }
    }

    // new RetryStrategyOptions<…>() / new HttpRetryStrategyOptions { … } by name; a target-typed new() only with an initializer.
    private static bool IsOptionsCandidate(SyntaxNode node) => node switch
    {
        ObjectCreationExpressionSyntax { Type: var type } => SyntaxNames.TypeName(type) is { } name && name.EndsWith("RetryStrategyOptions", StringComparison.Ordinal),
        ImplicitObjectCreationExpressionSyntax { Initializer: { } initializer } creation
            => creation.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Type: var declared } } }
                ? SyntaxNames.TypeName(declared) is { } name && name.EndsWith("RetryStrategyOptions", StringComparison.Ordinal)
                : SetsPredicateOrHeader(initializer),
        _ => false,
    };

    // new() { ShouldHandle = …, … } / new() { ShouldRetryAfterHeader = false }: what RA0005 reads in a target-typed creation
    // that is not a local's (a local typed …RetryStrategyOptions is a candidate whatever it sets: later statements may complete it).
    private static bool SetsPredicateOrHeader(InitializerExpressionSyntax initializer)
    {
        foreach (var expression in initializer.Expressions)
        {
            if (expression is AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "ShouldHandle" or "ShouldRetryAfterHeader" } })
            {
                return true;
            }
        }

        return false;
    }

    // A loop wait RA0005 reports is a for / while / do loop's (HandWrittenRetryLoops.EnclosingLoop), reached under an
    // `if` or a `catch … when` that reads a status (TooManyRequestsPredicates.Takes429 needs StatusCode / Status,
    // IsSuccessStatusCode, IsTransient or a 429 constant): checked on the syntax before anything is bound.
    private static bool UnderStatusCheckInLoop(SyntaxNode node)
    {
        if (SyntaxNames.EnclosingForOrWhileLoop(node) is not { } loop)
        {
            return false;
        }

        for (SyntaxNode child = node, current = node.Parent!; current != loop; child = current, current = current.Parent!)
        {
            if ((current is IfStatementSyntax { Condition: var condition } && child != condition && ReadsStatus(condition)) ||
                (current is CatchClauseSyntax { Filter.FilterExpression: var filter } && ReadsStatus(filter)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ReadsStatus(ExpressionSyntax condition)
    {
        foreach (var token in condition.DescendantTokens())
        {
            if ((token.IsKind(SyntaxKind.IdentifierToken) &&
                 (token.ValueText.IndexOf("Status", StringComparison.Ordinal) >= 0 || token.ValueText is "TooManyRequests" or "IsTransient")) ||
                (token.IsKind(SyntaxKind.NumericLiteralToken) && token.Value is 429))
            {
                return true;
            }
        }

        return false;
    }

    private static void Report(SyntaxNodeAnalysisContext context, Location? location, string? fix, string subject)
    {
        if (location is not null)
        {
            var properties = fix is null ? ImmutableDictionary<string, string?>.Empty : ImmutableDictionary<string, string?>.Empty.Add(RetryAfterSites.FixKey, fix);
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.RA0005RetryAfterIgnored, location, properties, subject));
        }
    }
}
