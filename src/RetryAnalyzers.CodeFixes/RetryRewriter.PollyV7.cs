using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Operations;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.CodeFixes;

/// <summary>Planners for Polly v7 retries: sleep-duration providers, sleep-duration lists and Polly.Contrib backoffs.</summary>
internal static partial class RetryRewriter
{
    // _ => TimeSpan.FromSeconds(1)  →  retryAttempt => JitteredBackoff.GetDelay(retryAttempt - 1, TimeSpan.FromSeconds(1))
    // n => TimeSpan.FromSeconds(Math.Pow(2, n))  →  n => JitteredBackoff.GetDelay(n - 1, TimeSpan.FromSeconds(2))
    private static Action<DocumentEditor>? PlanSleepProvider(SyntaxNode node, SemanticModel model, RetrySymbols symbols, INamedTypeSymbol jittered, bool growing, CancellationToken cancellationToken)
    {
        if (node is not LambdaExpressionSyntax lambda)
        {
            return null;
        }

        var returned = lambda.ExpressionBody ??
                       (lambda.Block is { Statements.Count: 1 } block && block.Statements[0] is ReturnStatementSyntax { Expression: { } value } ? value : null);
        var parameter = lambda switch
        {
            SimpleLambdaExpressionSyntax simple => simple.Parameter,
            ParenthesizedLambdaExpressionSyntax { ParameterList.Parameters.Count: > 0 } parenthesized => parenthesized.ParameterList.Parameters[0],
            _ => null,
        };
        if (returned is null || parameter is null)
        {
            return null;
        }

        if (!growing && IsKnownNonPositive(returned, model, symbols, cancellationToken))
        {
            return null;
        }

        // Polly v7 numbers retries from 1, the runtime from 0: the first delay is the provider's value at attempt 1.
        GrowingDelay? schedule = null;
        if (growing &&
            (model.GetDeclaredSymbol(parameter, cancellationToken) is not { } attempt ||
             (schedule = GrowingDelay.Create(returned, model, symbols, new[] { new AttemptBinding(attempt, 1, Literal(1)) }, cancellationToken)) is null))
        {
            return null;
        }

        var name = parameter.Identifier.ValueText;
        var rename = name == "_" || string.IsNullOrEmpty(name);
        if (rename)
        {
            name = growing ? name : UniqueName(model, lambda, AttemptName);
            rename = !growing;
        }

        return editor =>
        {
            var generator = editor.Generator;
            var attemptNumber = generator.SubtractExpression(generator.IdentifierName(name), generator.LiteralExpression(1));
            var arguments = schedule is null
                ? new[] { attemptNumber, returned.WithoutTrivia() }
                : schedule.Arguments(generator, attemptNumber);
            editor.ReplaceNode(returned, Call(editor, model, lambda, jittered, "GetDelay", arguments).WithTriviaFrom(returned));
            if (rename)
            {
                editor.ReplaceNode(parameter, parameter.WithIdentifier(SyntaxFactory.Identifier(name).WithTriviaFrom(parameter.Identifier)));
            }
        };
    }

    // new[] { d, d, d }  →  JitteredBackoff.Delays(d, 3);  new[] { 1 s, 2 s, 4 s }  →  JitteredBackoff.Delays(1 s, 3)
    private static Action<DocumentEditor>? PlanSleepDurations(SyntaxNode node, SemanticModel model, RetrySymbols symbols, INamedTypeSymbol jittered, bool growing, CancellationToken cancellationToken)
    {
        var elements = node switch
        {
            ArrayCreationExpressionSyntax { Initializer: { } initializer } => initializer.Expressions.ToList(),
            ImplicitArrayCreationExpressionSyntax implicitArray => implicitArray.Initializer.Expressions.ToList(),
            CollectionExpressionSyntax collection when collection.Elements.All(e => e is ExpressionElementSyntax)
                => collection.Elements.Cast<ExpressionElementSyntax>().Select(e => e.Expression).ToList(),
            _ => null,
        };
        if (elements is not { Count: > 0 } || IsKnownNonPositive(elements[0], model, symbols, cancellationToken))
        {
            return null;
        }

        // A growing array's last (longest) delay is its cap; keep it when it is beyond the runtime's default cap.
        var last = growing && model.GetOperation(elements[elements.Count - 1], cancellationToken) is { } lastDelay &&
                   DelayEvaluator.Evaluate(lastDelay, symbols) is { } lastMs && lastMs > DefaultCapMilliseconds
            ? elements[elements.Count - 1].WithoutTrivia()
            : null;
        return editor =>
        {
            var arguments = new List<SyntaxNode> { elements[0].WithoutTrivia(), editor.Generator.LiteralExpression(elements.Count) };
            if (last is not null)
            {
                arguments.Add(last);
            }

            editor.ReplaceNode(node, Call(editor, model, node, jittered, "Delays", arguments.ToArray()).WithTriviaFrom(node));
        };
    }

    // Backoff.ConstantBackoff(d, n), Backoff.ExponentialBackoff(d, n, …), Backoff.LinearBackoff(d, n, …)  →  JitteredBackoff.Delays(d, n)
    private static Action<DocumentEditor>? PlanContribBackoff(SyntaxNode node, SemanticModel model, RetrySymbols symbols, INamedTypeSymbol jittered, CancellationToken cancellationToken)
    {
        if (node is not InvocationExpressionSyntax invocation || model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation)
        {
            return null;
        }

        var delay = operation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0 && a.ArgumentKind == ArgumentKind.Explicit)?.Value.Syntax;
        var count = operation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "retryCount" && a.ArgumentKind == ArgumentKind.Explicit)?.Value.Syntax;
        if (delay is null || count is null || IsKnownNonPositive(delay, model, symbols, cancellationToken))
        {
            return null;
        }

        return editor => editor.ReplaceNode(
            invocation,
            Call(editor, model, invocation, jittered, "Delays", delay.WithoutTrivia(), count.WithoutTrivia()).WithTriviaFrom(invocation));
    }
}
