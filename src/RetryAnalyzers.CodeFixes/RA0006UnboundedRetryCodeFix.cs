using System;
using System.Collections.Generic;
using System.Composition;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using RetryAnalyzers.Internal;
using RetryAnalyzers.Rules;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// Fixes RA0006 with a cap: N = <c>dotnet_diagnostic.RA0006.max_attempts</c> (default 5) retries, a Retry-After wait of at
/// most <c>dotnet_diagnostic.RA0006.max_retry_after</c> seconds (default 60).
/// <list type="bullet">
/// <item><c>WaitAndRetryForever[Async](provider, …)</c> → <c>WaitAndRetry[Async](N, provider, …)</c>, <c>RetryForever[Async](onRetry)</c>
/// → <c>Retry[Async](N, onRetry)</c>, only when Polly has the counted overload with the same parameter types (checked by
/// binding the result), so every lambda keeps its meaning;</item>
/// <item><c>WaitAndRetry[Async](int.MaxValue, …)</c> and <c>MaxRetryAttempts = int.MaxValue</c> → N;</item>
/// <item><c>while (true)</c> / <c>for (;;)</c> whose wait is in the last <c>catch</c> of a <c>try</c> →
/// <c>for (var attempt = 0; ; attempt++)</c> and <c>catch (…) when (attempt &lt; N)</c>: the N+1th failure propagates;</item>
/// <item><c>Task.Delay(header)</c> → <c>Task.Delay(TimeSpan.FromSeconds(Math.Min(header.TotalSeconds, 60)))</c> (<c>Math.Min(ms, 60000)</c> for milliseconds).</item>
/// <item>a sleep-duration provider's returned <c>header</c> → <c>TimeSpan.FromSeconds(Math.Min(header.TotalSeconds, 60))</c> (no fix for a <c>DelayGenerator</c>).</item>
/// </list>
/// No fix for other loops (a flag or token condition, a wait outside a <c>catch</c>, several waits, a <c>continue</c>, a later
/// <c>catch</c>) or for overloads Polly has no counted twin of.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RA0006UnboundedRetryCodeFix))]
[Shared]
public sealed class RA0006UnboundedRetryCodeFix : EditorCodeFix
{
    /// <summary>The one action of this fix; stable across versions.</summary>
    public const string EquivalenceKey = "RA0006.CapTheRetry";

    private const string CounterName = "attempt";

    /// <summary>Creates the fix.</summary>
    public RA0006UnboundedRetryCodeFix()
        : base(RuleIds.UnboundedRetry)
    {
    }

    private protected override IEnumerable<FixPlan> Plans(Diagnostic diagnostic, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
    {
        if (!diagnostic.Properties.TryGetValue(RA0006UnboundedRetryAnalyzer.ShapeKey, out var shapeName) || !Enum.TryParse(shapeName, out UnboundedRetryShape shape) ||
            !TryInteger(diagnostic, RA0006UnboundedRetryAnalyzer.MaxAttemptsKey, out var attempts) ||
            !TryInteger(diagnostic, RA0006UnboundedRetryAnalyzer.MaxRetryAfterKey, out var maxSeconds))
        {
            yield break;
        }

        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        var edit = shape switch
        {
            UnboundedRetryShape.PollyV7Forever => PlanForever(node, model, attempts, cancellationToken),
            UnboundedRetryShape.PollyV7MaxValueCount => PlanRetryCount(node, model, attempts, cancellationToken),
            UnboundedRetryShape.PollyV8MaxRetryAttempts => node is AssignmentExpressionSyntax assignment
                ? editor => editor.ReplaceNode(assignment.Right, Literal(attempts).WithTriviaFrom(assignment.Right))
                : null,
            UnboundedRetryShape.HandWrittenLoop => PlanLoop(node, model, attempts),
            UnboundedRetryShape.RetryAfterWait => PlanRetryAfter(node, model, maxSeconds, cancellationToken),
            UnboundedRetryShape.RetryAfterSleepProvider => PlanSleepProvider(node, model, maxSeconds, cancellationToken),
            _ => null,
        };
        if (edit is not null)
        {
            yield return new FixPlan(shape is UnboundedRetryShape.RetryAfterWait or UnboundedRetryShape.RetryAfterSleepProvider ? "Cap the Retry-After wait" : "Cap the retries", EquivalenceKey, edit);
        }
    }

    // The cap, and for an unbounded loop around a provider call the whole retry onto the provider pipeline with the same cap.
    private protected override IEnumerable<FixPlan> Plans(Diagnostic diagnostic, Document document, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
    {
        var plans = Plans(diagnostic, root, model, cancellationToken).ToList();
        if (diagnostic.Properties.TryGetValue(RA0006UnboundedRetryAnalyzer.ShapeKey, out var shapeName) &&
            shapeName is nameof(UnboundedRetryShape.HandWrittenLoop) or nameof(UnboundedRetryShape.PollyV7Forever) or nameof(UnboundedRetryShape.PollyV8MaxRetryAttempts) &&
            TryInteger(diagnostic, RA0006UnboundedRetryAnalyzer.MaxAttemptsKey, out var retries))
        {
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            PipelineRewriter.Offer(plans, RuleIds.UnboundedRetry, document, root, options => shapeName == nameof(UnboundedRetryShape.HandWrittenLoop)
                ? PipelineRewriter.PlanCappedLoop(RuleIds.UnboundedRetry, node, model, options, retries, cancellationToken)
                : PipelineRewriter.PlanCappedPolicy(RuleIds.UnboundedRetry, node, model, options, retries, cancellationToken));
        }

        return plans;
    }

    private static bool TryInteger(Diagnostic diagnostic, string key, out int value)
    {
        value = 0;
        return diagnostic.Properties.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= 1;
    }

    // policyBuilder.WaitAndRetryForeverAsync(provider, onRetry)  →  policyBuilder.WaitAndRetryAsync(5, provider, onRetry)
    private static Action<DocumentEditor>? PlanForever(SyntaxNode node, SemanticModel model, int attempts, CancellationToken cancellationToken)
    {
        if (node is not IdentifierNameSyntax name || name.Parent is not MemberAccessExpressionSyntax access || access.Name != name ||
            access.Parent is not InvocationExpressionSyntax call ||
            model.GetSymbolInfo(call, cancellationToken).Symbol is not IMethodSymbol { ReducedFrom: not null } forever)
        {
            return null; // called as an extension method only: RetrySyntax.RetryForever(builder) would need the count second
        }

        var bound = model.GetSpeculativeSymbolInfo(call.SpanStart, Counted(call, attempts), SpeculativeBindingOption.BindAsExpression).Symbol as IMethodSymbol;
        if (bound?.ReducedFrom is null || !SameMeaning(forever.GetConstructedReducedFrom()!, bound.GetConstructedReducedFrom()!))
        {
            return null;
        }

        // From the current node: Fix All may have capped a Retry-After in the provider already.
        return editor => editor.ReplaceNode(call, (current, _) => Counted((InvocationExpressionSyntax)current, attempts));
    }

    private static InvocationExpressionSyntax Counted(InvocationExpressionSyntax call, int attempts)
    {
        var access = (MemberAccessExpressionSyntax)call.Expression;
        var name = SyntaxFactory.IdentifierName(access.Name.Identifier.ValueText.Replace("Forever", string.Empty)).WithTriviaFrom(access.Name);
        return call
            .WithExpression(access.WithName(name))
            .WithArgumentList(call.ArgumentList.WithArguments(call.ArgumentList.Arguments.Insert(0, SyntaxFactory.Argument(Literal(attempts)))));
    }

    // RetryForever(builder, A a, B b) and Retry(builder, int retryCount, A a, B b): the same parameters after the count, same result.
    private static bool SameMeaning(IMethodSymbol forever, IMethodSymbol counted)
    {
        if (counted.Parameters.Length != forever.Parameters.Length + 1 || counted.Parameters[1].Type.SpecialType != SpecialType.System_Int32 ||
            !SymbolEqualityComparer.Default.Equals(counted.ReturnType, forever.ReturnType) ||
            !SymbolEqualityComparer.Default.Equals(counted.ContainingType, forever.ContainingType))
        {
            return false;
        }

        for (var i = 1; i < forever.Parameters.Length; i++)
        {
            if (!SymbolEqualityComparer.Default.Equals(forever.Parameters[i].Type, counted.Parameters[i + 1].Type) ||
                forever.Parameters[i].Name != counted.Parameters[i + 1].Name)
            {
                return false;
            }
        }

        return true;
    }

    // WaitAndRetryAsync(int.MaxValue, …)  →  WaitAndRetryAsync(5, …)
    private static Action<DocumentEditor>? PlanRetryCount(SyntaxNode node, SemanticModel model, int attempts, CancellationToken cancellationToken)
    {
        var call = node.FirstAncestorOrSelf<InvocationExpressionSyntax>();
        var count = call is null ? null
            : (model.GetOperation(call, cancellationToken) as IInvocationOperation)?.Arguments
                .FirstOrDefault(a => a.Parameter?.Name == "retryCount" && a.ArgumentKind == ArgumentKind.Explicit)?.Value.Syntax;
        return count is null ? null : editor => editor.ReplaceNode(count, Literal(attempts).WithTriviaFrom(count));
    }

    // while (true) { try { … } catch (E) { … await Task.Delay(…); } }
    //   →  for (var attempt = 0; ; attempt++) { try { … } catch (E) when (attempt < 5) { … await Task.Delay(…); } }
    private static Action<DocumentEditor>? PlanLoop(SyntaxNode node, SemanticModel model, int attempts)
    {
        var loop = node.Ancestors().FirstOrDefault(a => a is WhileStatementSyntax or ForStatementSyntax or DoStatementSyntax or ForEachStatementSyntax or
                                                             AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax) as StatementSyntax;
        var catchClause = node.FirstAncestorOrSelf<CatchClauseSyntax>();
        var endless = loop switch
        {
            WhileStatementSyntax { Condition: LiteralExpressionSyntax { RawKind: (int)SyntaxKind.TrueLiteralExpression } } => true,
            ForStatementSyntax { Declaration: null, Initializers.Count: 0, Condition: null, Incrementors.Count: 0 } => true,
            _ => false,
        };
        if (!endless || catchClause is null || !loop!.Span.Contains(catchClause.Span) ||
            catchClause.Parent is not TryStatementSyntax tryStatement || tryStatement.Catches.Last() != catchClause ||
            loop.DescendantNodes().OfType<InvocationExpressionSyntax>().Count(IsWait) != 1 || ContinuesItself(loop))
        {
            return null;
        }

        var counter = RetryRewriter.UniqueName(model, loop, CounterName);
        return editor => editor.ReplaceNode(loop, (current, _) =>
        {
            var currentLoop = (StatementSyntax)current;
            var body = currentLoop is WhileStatementSyntax whileLoop ? whileLoop.Statement : ((ForStatementSyntax)currentLoop).Statement;
            var closeParen = currentLoop is WhileStatementSyntax w ? w.CloseParenToken : ((ForStatementSyntax)currentLoop).CloseParenToken;
            var currentCatch = body.DescendantNodes().OfType<CatchClauseSyntax>().First(c => c.Span.Length == catchClause.Span.Length && c.IsEquivalentTo(catchClause));
            body = body.ReplaceNode(currentCatch, Bounded(currentCatch, counter, attempts));
            var header = (ForStatementSyntax)SyntaxFactory.ParseStatement($"for (var {counter} = 0; ; {counter}++);");
            return header
                .WithCloseParenToken(header.CloseParenToken.WithTrailingTrivia(closeParen.TrailingTrivia))
                .WithStatement(body)
                .WithLeadingTrivia(currentLoop.GetLeadingTrivia())
                .WithTrailingTrivia(currentLoop.GetTrailingTrivia());
        });
    }

    // A `continue` of this loop would count as an attempt in the rewritten `for`: not offered.
    private static bool ContinuesItself(StatementSyntax loop)
        => loop.DescendantNodes().OfType<ContinueStatementSyntax>().Any(c => c.Ancestors().First(a => a is WhileStatementSyntax or ForStatementSyntax or DoStatementSyntax or
                                                                                                   ForEachStatementSyntax or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax) == loop);

    private static bool IsWait(InvocationExpressionSyntax invocation)
        => invocation.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Delay" or "Sleep" };

    // catch (E)  →  catch (E) when (attempt < 5);  catch (E) when (filter)  →  catch (E) when (filter && attempt < 5)
    private static CatchClauseSyntax Bounded(CatchClauseSyntax catchClause, string counter, int attempts)
    {
        var limit = counter + " < " + attempts.ToString(CultureInfo.InvariantCulture);
        if (catchClause.Filter is { } filter)
        {
            var existing = filter.FilterExpression;
            var left = NeedsParentheses(existing) ? "(" + existing.ToString() + ")" : existing.ToString();
            return catchClause.WithFilter(filter.WithFilterExpression(SyntaxFactory.ParseExpression(left + " && " + limit).WithTriviaFrom(existing)));
        }

        // The filter goes between the declaration (or the catch keyword) and the block, which keeps its trivia after it.
        var before = catchClause.Declaration?.CloseParenToken ?? catchClause.CatchKeyword;
        var added = SyntaxFactory.CatchFilterClause(
            SyntaxFactory.Token(SyntaxKind.WhenKeyword).WithLeadingTrivia(SyntaxFactory.Space).WithTrailingTrivia(SyntaxFactory.Space),
            SyntaxFactory.Token(SyntaxKind.OpenParenToken),
            SyntaxFactory.ParseExpression(limit),
            SyntaxFactory.Token(SyntaxKind.CloseParenToken).WithTrailingTrivia(before.TrailingTrivia));
        var trimmed = catchClause.ReplaceToken(before, before.WithTrailingTrivia());
        return trimmed.WithFilter(added);
    }

    private static bool NeedsParentheses(ExpressionSyntax expression)
        => expression is not (InvocationExpressionSyntax or MemberAccessExpressionSyntax or IdentifierNameSyntax or ParenthesizedExpressionSyntax or
            PrefixUnaryExpressionSyntax or IsPatternExpressionSyntax or LiteralExpressionSyntax) &&
           !expression.IsKind(SyntaxKind.LogicalAndExpression) && !expression.IsKind(SyntaxKind.EqualsExpression) && !expression.IsKind(SyntaxKind.NotEqualsExpression) &&
           !expression.IsKind(SyntaxKind.IsExpression);

    // Task.Delay(header)  →  Task.Delay(TimeSpan.FromSeconds(Math.Min(header.TotalSeconds, 60)));  Task.Delay(ms)  →  Task.Delay(Math.Min(ms, 60000))
    private static Action<DocumentEditor>? PlanRetryAfter(SyntaxNode node, SemanticModel model, int maxSeconds, CancellationToken cancellationToken)
    {
        var call = node.FirstAncestorOrSelf<InvocationExpressionSyntax>();
        var wait = call is null ? null
            : (model.GetOperation(call, cancellationToken) as IInvocationOperation)?.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0);
        var math = model.Compilation.GetTypeByMetadataName(KnownTypes.Math);
        var timeSpan = model.Compilation.GetTypeByMetadataName(KnownTypes.TimeSpan);
        if (wait?.Value.Syntax is not ExpressionSyntax value || math is null || timeSpan is null)
        {
            return null;
        }

        var inSeconds = SymbolEqualityComparer.Default.Equals(wait.Parameter!.Type, timeSpan);
        if (!inSeconds && wait.Parameter.Type.SpecialType != SpecialType.System_Int32)
        {
            return null;
        }

        return editor => editor.ReplaceNode(value, Capped(editor.Generator, value, inSeconds, maxSeconds, math, timeSpan));
    }

    // (attempt, outcome, context) => outcome.Result.Headers.RetryAfter.Delta.Value  →  … TimeSpan.FromSeconds(Math.Min(….TotalSeconds, 60))
    private static Action<DocumentEditor>? PlanSleepProvider(SyntaxNode node, SemanticModel model, int maxSeconds, CancellationToken cancellationToken)
    {
        var math = model.Compilation.GetTypeByMetadataName(KnownTypes.Math);
        var timeSpan = model.Compilation.GetTypeByMetadataName(KnownTypes.TimeSpan);
        if (node is not ExpressionSyntax value || math is null || timeSpan is null ||
            !SymbolEqualityComparer.Default.Equals(model.GetTypeInfo(value, cancellationToken).Type, timeSpan))
        {
            return null;
        }

        return editor => editor.ReplaceNode(value, Capped(editor.Generator, value, inSeconds: true, maxSeconds, math, timeSpan));
    }

    // TimeSpan.FromSeconds(Math.Min((header).TotalSeconds, 60)), or Math.Min(ms, 60000) for milliseconds.
    private static SyntaxNode Capped(SyntaxGenerator generator, ExpressionSyntax value, bool inSeconds, int maxSeconds, INamedTypeSymbol math, INamedTypeSymbol timeSpan)
    {
        SyntaxNode Type(INamedTypeSymbol type) => generator.TypeExpression(type).WithAdditionalAnnotations(Simplifier.Annotation);
        var header = value.WithoutTrivia();
        var capped = inSeconds
            ? generator.InvocationExpression(
                generator.MemberAccessExpression(Type(timeSpan), "FromSeconds"),
                generator.InvocationExpression(
                    generator.MemberAccessExpression(Type(math), "Min"),
                    generator.MemberAccessExpression(SyntaxFactory.ParenthesizedExpression(header).WithAdditionalAnnotations(Simplifier.Annotation), "TotalSeconds"),
                    Literal(maxSeconds)))
            : generator.InvocationExpression(generator.MemberAccessExpression(Type(math), "Min"), header, Literal(maxSeconds > int.MaxValue / 1000 ? int.MaxValue : maxSeconds * 1000));
        return capped.WithTriviaFrom(value);
    }

    private static LiteralExpressionSyntax Literal(int value)
        => SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(value));
}
