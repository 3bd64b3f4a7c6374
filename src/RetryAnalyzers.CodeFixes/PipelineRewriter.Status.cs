using System;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// The whole-retry rewrite of a status-check loop (<see cref="StatusCheckLoop"/>): the response comes from one
/// <c>ProviderPipeline.CreateForResponses</c> execution that retries what the loop's check retried, and the check stays
/// to tell an answer from the last retried response, as the loop's last attempt did.
/// <code>
/// for (var i = 0; i &lt; 3; i++)                               var response = await SendPipeline.ExecuteAsync(
/// {                                                             async token =&gt; await http.GetAsync(url, token), EstimatedTokensPerCall, ct);
///     var response = await http.GetAsync(url, ct);          if (response.StatusCode != HttpStatusCode.TooManyRequests)
///     if (response.StatusCode == HttpStatusCode.TooManyRequests) {
///     {                                                         return response;
///         await Task.Delay(1000, ct);                         }
///         continue;
///     }                                                     throw new InvalidOperationException("Still throttled");
///     return response;
/// }
/// throw new InvalidOperationException("Still throttled");
/// </code>
/// with <c>shouldRetry: response =&gt; response.StatusCode == HttpStatusCode.TooManyRequests</c> on the pipeline.
/// </summary>
internal static partial class PipelineRewriter
{
    private static Action<DocumentEditor>? PlanStatusLoop(string ruleId, StatusCheckLoop retry, SemanticModel model, AnalyzerConfigOptions options, CancellationToken cancellationToken)
    {
        if (OuterOf(retry.Loop, retry.CallStatementExpression, retry.Call, model, cancellationToken) is not { } outer ||
            !TokenIsOutsideTheLoop(retry.Loop, retry.CallToken, retry.WaitToken, model, cancellationToken))
        {
            return null;
        }

        var layout = Layout.Of(retry.Loop, retry.Declaration, cancellationToken);
        var condition = retry.Check.Condition.WithoutTrivia();
        var shouldRetry = $"{retry.Response.Name} => {(retry.RetriedWhenTrue ? condition : Negate(condition))}";
        var answered = retry.RetriedWhenTrue ? Negate(condition) : condition;
        return Build(ruleId, model, options, retry.Loop, retry.Result, retry.Attempts - 1, ShouldRetryName, shouldRetry, names =>
        {
            var execution = Execution(names, retry.CallStatementExpression, retry.Awaited, retry.CallToken, retry.CallToken ?? retry.WaitToken, outer, layout.Indentation + layout.Unit, layout.EndOfLine);
            var declaration = retry.Declaration.ReplaceNode(retry.CallStatementExpression, execution)
                .WithLeadingTrivia(retry.Loop.GetLeadingTrivia())
                .WithTrailingTrivia(SyntaxFactory.EndOfLine(layout.EndOfLine));
            var statements = retry.Answer.Count == 0
                ? new StatementSyntax[] { declaration.WithTrailingTrivia(retry.Loop.GetTrailingTrivia()) }
                : new StatementSyntax[]
                {
                    declaration,
                    SyntaxFactory.IfStatement(answered, SyntaxFactory.Block(retry.Answer.Select((s, i) => i == 0 ? WithoutBlankLinesBefore(s) : s)))
                        .WithLeadingTrivia(SyntaxFactory.EndOfLine(layout.EndOfLine))
                        .WithTrailingTrivia(retry.Loop.GetTrailingTrivia())
                        .WithAdditionalAnnotations(Formatter.Annotation),
                };
            return editor =>
            {
                editor.InsertBefore(retry.Loop, statements);
                editor.RemoveNode(retry.Loop, SyntaxRemoveOptions.KeepNoTrivia);
                foreach (var removed in retry.Removed)
                {
                    editor.RemoveNode(removed, SyntaxRemoveOptions.KeepNoTrivia);
                }
            };
        });
    }

    private static ExpressionSyntax Grouped(ExpressionSyntax expression)
        => expression.IsKind(SyntaxKind.LogicalOrExpression) ? SyntaxFactory.ParenthesizedExpression(expression) : expression;

    // The first statement of the new block starts on the line after its brace (its comments kept).
    private static StatementSyntax WithoutBlankLinesBefore(StatementSyntax statement)
        => statement.WithLeadingTrivia(statement.GetLeadingTrivia().SkipWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia) || t.IsKind(SyntaxKind.EndOfLineTrivia)));

    /// <summary>The condition negated as a reader would write it: <c>!=</c> for <c>==</c>, <c>is not</c> for <c>is</c>, <c>x</c> for <c>!x</c>, De Morgan for <c>&amp;&amp;</c> and <c>||</c>, else <c>!(…)</c>.</summary>
    internal static ExpressionSyntax Negate(ExpressionSyntax condition)
    {
        switch (condition)
        {
            case ParenthesizedExpressionSyntax parenthesized:
                return Negate(parenthesized.Expression);
            case PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression } not:
                return not.Operand is ParenthesizedExpressionSyntax inner ? inner.Expression.WithoutTrivia() : not.Operand.WithoutTrivia();
            case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalAndExpression } and:
                // !(a && b) → !a || !b (&& binds tighter than ||: no parentheses needed)
                return SyntaxFactory.BinaryExpression(SyntaxKind.LogicalOrExpression, Negate(and.Left).WithTrailingTrivia(SyntaxFactory.Space), Negate(and.Right).WithLeadingTrivia(SyntaxFactory.Space));
            case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalOrExpression } or:
                // !(a || b) → !a && !b, a negated && (now an ||) in parentheses
                return SyntaxFactory.BinaryExpression(SyntaxKind.LogicalAndExpression, Grouped(Negate(or.Left)).WithTrailingTrivia(SyntaxFactory.Space), Grouped(Negate(or.Right)).WithLeadingTrivia(SyntaxFactory.Space));
            case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression or (int)SyntaxKind.NotEqualsExpression } comparison:
                var equals = comparison.IsKind(SyntaxKind.EqualsExpression);
                return SyntaxFactory.BinaryExpression(
                    equals ? SyntaxKind.NotEqualsExpression : SyntaxKind.EqualsExpression,
                    comparison.Left,
                    SyntaxFactory.Token(equals ? SyntaxKind.ExclamationEqualsToken : SyntaxKind.EqualsEqualsToken).WithTriviaFrom(comparison.OperatorToken),
                    comparison.Right);
            case IsPatternExpressionSyntax { Pattern: UnaryPatternSyntax { RawKind: (int)SyntaxKind.NotPattern } notPattern } test:
                return test.WithPattern(notPattern.Pattern is ParenthesizedPatternSyntax grouped ? grouped.Pattern : notPattern.Pattern);
            case IsPatternExpressionSyntax test:
                var pattern = test.Pattern is BinaryPatternSyntax ? SyntaxFactory.ParenthesizedPattern(test.Pattern.WithoutTrivia()) : test.Pattern.WithoutTrivia();
                return test.WithPattern(SyntaxFactory.UnaryPattern(SyntaxFactory.Token(SyntaxKind.NotKeyword).WithTrailingTrivia(SyntaxFactory.Space), pattern).WithLeadingTrivia(test.Pattern.GetLeadingTrivia()));
            case IdentifierNameSyntax or MemberAccessExpressionSyntax or InvocationExpressionSyntax or ElementAccessExpressionSyntax:
                return SyntaxFactory.PrefixUnaryExpression(SyntaxKind.LogicalNotExpression, condition.WithoutTrivia());
            default:
                return SyntaxFactory.PrefixUnaryExpression(SyntaxKind.LogicalNotExpression, SyntaxFactory.ParenthesizedExpression(condition.WithoutTrivia()));
        }
    }
}
