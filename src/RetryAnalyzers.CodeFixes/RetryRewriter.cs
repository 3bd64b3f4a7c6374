using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// Plans the rewrite of one retry site onto jittered backoff. Each planner checks everything first and returns null
/// when it cannot produce code that compiles; the returned edit only touches the original syntax.
/// </summary>
internal static partial class RetryRewriter
{
    private const string AttemptName = "retryAttempt";
    private const string BackoffName = "retryBackoff";
    internal const double DefaultCapMilliseconds = 30_000; // JitteredBackoff.DefaultMaxDelay

    public static Action<DocumentEditor>? Plan(RetryShape shape, DelayKind kind, SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        var symbols = RetrySymbols.TryCreate(model.Compilation);
        var jittered = model.Compilation.GetTypeByMetadataName(KnownTypes.RuntimeJitteredBackoff);
        if (symbols is null || kind is not (DelayKind.Constant or DelayKind.Growing))
        {
            return null;
        }

        var growing = kind == DelayKind.Growing;
        return shape switch
        {
            RetryShape.HelperWait => null, // the helper has no loop to hand out a backoff, and other callers may not retry
            RetryShape.PollyV8Options => PlanPollyV8Options(node, model, symbols, keepBackoffType: growing, cancellationToken),
            _ when jittered is null => null, // the runtime library is not referenced
            RetryShape.PollyV7SleepProvider => PlanSleepProvider(node, model, symbols, jittered, growing, cancellationToken),
            RetryShape.PollyV7SleepDurations => PlanSleepDurations(node, model, symbols, jittered, growing, cancellationToken),
            RetryShape.ContribBackoff => PlanContribBackoff(node, model, symbols, jittered, cancellationToken),
            RetryShape.HandWrittenLoop => PlanLoop(node, model, symbols, jittered, growing, cancellationToken),
            _ => null,
        };
    }

    private static LiteralExpressionSyntax Literal(int value)
        => SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(value));

    /// <summary>A wait known to be zero (<c>TimeSpan.Zero</c>, <c>Task.Delay(0)</c>): it cannot be the base of a backoff, so no fix is offered.</summary>
    private static bool IsKnownNonPositive(SyntaxNode delay, SemanticModel model, RetrySymbols symbols, CancellationToken cancellationToken)
        => model.GetOperation(delay, cancellationToken) is { } operation && DelayEvaluator.Evaluate(operation, symbols) is <= 0;

    /// <summary><c>JitteredBackoff.Method(arguments)</c>, with the <c>using</c> for the runtime library added to the file.</summary>
    private static SyntaxNode Call(DocumentEditor editor, SemanticModel model, SyntaxNode site, INamedTypeSymbol type, string method, params SyntaxNode[] arguments)
    {
        Imports.AddUsing(editor, type.ContainingNamespace.ToDisplayString());
        var generator = editor.Generator;
        return generator.InvocationExpression(generator.MemberAccessExpression(Imports.TypeName(generator, model, site.SpanStart, type), method), arguments);
    }

    /// <summary><paramref name="preferred"/>, or with a number appended, so that it names nothing visible or declared in the member.</summary>
    internal static string UniqueName(SemanticModel model, SyntaxNode position, string preferred)
    {
        var member = position.FirstAncestorOrSelf<MemberDeclarationSyntax>() ?? position;
        var declared = new HashSet<string>(member.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText));
        for (var i = 1; ; i++)
        {
            var candidate = i == 1 ? preferred : preferred + i;
            if (!declared.Contains(candidate) && model.LookupSymbols(position.SpanStart, name: candidate).IsEmpty)
            {
                return candidate;
            }
        }
    }
}
