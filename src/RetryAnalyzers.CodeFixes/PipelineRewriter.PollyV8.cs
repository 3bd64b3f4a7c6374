using System;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Editing;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// The whole-retry rewrite of a Polly v8 pipeline built for one call site:
/// <code>
/// var pipeline = new ResiliencePipelineBuilder()
///     .AddRetry(new RetryStrategyOptions { ShouldHandle = new PredicateBuilder().Handle&lt;E&gt;(), MaxRetryAttempts = 4 })
///     .Build();
/// return await pipeline.ExecuteAsync(async ct =&gt; await client.CallAsync(p, ct), ct);
///   →  return await CallPipeline.ExecuteAsync(async ct =&gt; await client.CallAsync(p, ct), EstimatedTokensPerCall, ct);
/// </code>
/// with <c>MaxRetryAttempts</c> kept (Polly's default 3 when unset) and <c>isTransient</c> from <c>ShouldHandle</c> (Polly's
/// default, every exception but <c>OperationCanceledException</c>, when unset). Only the retry strategy, only options that
/// shape the wait (<c>Delay</c>, <c>MaxDelay</c>, <c>BackoffType</c>, <c>UseJitter</c>), only exception predicates: anything
/// else (<c>OnRetry</c>, result predicates, another strategy, a pipeline kept in a field or run twice) gets no action.
/// </summary>
internal static partial class PipelineRewriter
{
    private const int PollyDefaultRetryAttempts = 3; // RetryStrategyOptions.MaxRetryAttempts

    private static Action<DocumentEditor>? PlanPollyV8(string ruleId, SyntaxNode node, SemanticModel model, AnalyzerConfigOptions options, CancellationToken cancellationToken, int? cap = null)
    {
        if (RetryRewriter.CreationOf(node, model, cancellationToken) is not BaseObjectCreationExpressionSyntax creation ||
            creation.Parent is not ArgumentSyntax { Parent: ArgumentListSyntax { Arguments.Count: 1, Parent: InvocationExpressionSyntax addRetry } } ||
            addRetry.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "AddRetry", Expression: ObjectCreationExpressionSyntax { ArgumentList.Arguments.Count: 0, Initializer: null } builder } ||
            model.GetTypeInfo(builder, cancellationToken).Type is not { Name: "ResiliencePipelineBuilder", ContainingNamespace.Name: "Polly" } ||
            addRetry.Parent is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Build", Parent: InvocationExpressionSyntax { ArgumentList.Arguments.Count: 0 } build } ||
            (creation.ArgumentList?.Arguments.Count ?? 0) != 0 ||
            !ReadOptions(creation, model, cancellationToken, out var retryCount, out var isTransient) ||
            (cap is not null && retryCount != int.MaxValue) ||
            Execution(build, model, cancellationToken, out var removedDeclaration) is not { } execute)
        {
            return null;
        }

        return PlanExecution(ruleId, model, options, execute, cap ?? retryCount, isTransient, removedDeclaration, cancellationToken);
    }

    // The options: MaxRetryAttempts (a constant), ShouldHandle (exception predicates), and what only shapes the wait.
    private static bool ReadOptions(BaseObjectCreationExpressionSyntax creation, SemanticModel model, CancellationToken cancellationToken, out int retryCount, out string isTransient)
    {
        retryCount = PollyDefaultRetryAttempts;
        isTransient = "exception => exception is not global::System.OperationCanceledException";
        foreach (var expression in creation.Initializer?.Expressions ?? default)
        {
            if (expression is not AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: var name }, Right: var value })
            {
                return false;
            }

            switch (name)
            {
                case "Delay" or "MaxDelay" or "BackoffType" or "UseJitter":
                    break;
                case "MaxRetryAttempts" when model.GetConstantValue(value, cancellationToken) is { HasValue: true, Value: int count and >= 1 }:
                    retryCount = count;
                    break;
                case "ShouldHandle" when value is InvocationExpressionSyntax chain && HandledExceptions(chain, model, cancellationToken) is { } handled:
                    isTransient = handled;
                    break;
                default:
                    return false;
            }
        }

        return true;
    }
}
