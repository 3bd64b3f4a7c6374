using System.Collections.Generic;
using System.Linq;
using System.Composition;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Operations;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.CodeFixes;

/// <summary>
/// Fixes RA0005 by waiting for the provider's Retry-After, capped, with a small spread, and keeping the user's own
/// backoff (<c>Delay</c>, <c>BackoffType</c>, <c>UseJitter</c>, so RA0001/RA0002's fixes still apply) for a response without one:
/// <list type="bullet">
/// <item><c>RetryStrategyOptions&lt;HttpResponseMessage&gt;</c> → adds <c>DelayGenerator = RetryAfterDelay.Generator()</c>
/// (null without a header, so Polly uses the options' backoff);</item>
/// <item><c>HttpRetryStrategyOptions { ShouldRetryAfterHeader = false }</c> → <c>true</c> (its own Retry-After handling).</item>
/// </list>
/// No generator is added when the runtime library is not referenced.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RA0005RetryAfterIgnoredCodeFix))]
[Shared]
public sealed class RA0005RetryAfterIgnoredCodeFix : EditorCodeFix
{
    /// <summary>The one action of this fix; stable across versions.</summary>
    public const string EquivalenceKey = "RA0005.WaitForRetryAfter";

    /// <summary>Creates the fix.</summary>
    public RA0005RetryAfterIgnoredCodeFix()
        : base(RuleIds.RetryAfterIgnored)
    {
    }

    private protected override IEnumerable<FixPlan> Plans(Diagnostic diagnostic, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
    {
        diagnostic.Properties.TryGetValue(RetryAfterSites.FixKey, out var fix);
        var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        if (fix == RetryAfterSites.HeaderOn && node is AssignmentExpressionSyntax assignment)
        {
            yield return new FixPlan(
                "Wait for the provider's Retry-After",
                EquivalenceKey,
                editor => editor.ReplaceNode(assignment.Right, SyntaxFactory.LiteralExpression(SyntaxKind.TrueLiteralExpression).WithTriviaFrom(assignment.Right)));
        }
        else if (fix == RetryAfterSites.LoopDelay &&
                 node.FirstAncestorOrSelf<InvocationExpressionSyntax>() is { } delay &&
                 model.GetOperation(delay, cancellationToken) is IInvocationOperation { Arguments.Length: > 0 } call &&
                 RetrySymbols.TryCreate(model.Compilation) is { } symbols &&
                 RetryAfterSites.CheckedResponse(call, symbols) is { } response &&
                 model.Compilation.GetTypeByMetadataName(KnownTypes.RuntimeRetryAfterDelay) is { } loopHelper)
        {
            yield return new FixPlan("Wait for the provider's Retry-After (RetryAnalyzers.Runtime)", EquivalenceKey, editor => ReplaceDelay(editor, model, delay, call, response, loopHelper));
        }
        else if (fix == RetryAfterSites.AddGenerator &&
                 node.FirstAncestorOrSelf<BaseObjectCreationExpressionSyntax>() is { } creation &&
                 model.Compilation.GetTypeByMetadataName(KnownTypes.RuntimeRetryAfterDelay) is { } helper)
        {
            yield return new FixPlan(
                "Wait for the provider's Retry-After (RetryAnalyzers.Runtime)",
                EquivalenceKey,
                editor =>
                {
                    var typeName = (ExpressionSyntax)Imports.TypeName(editor.Generator, model, creation.SpanStart, helper);
                    var generator = SyntaxFactory.AssignmentExpression(
                        SyntaxKind.SimpleAssignmentExpression,
                        SyntaxFactory.IdentifierName("DelayGenerator"),
                        SyntaxFactory.InvocationExpression(SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, typeName, SyntaxFactory.IdentifierName("Generator"))));
                    editor.ReplaceNode(creation, (current, _) => RetryRewriter.AddToInitializer((BaseObjectCreationExpressionSyntax)current, new List<ExpressionSyntax> { generator }));
                    if (typeName is IdentifierNameSyntax)
                    {
                        Imports.AddUsing(editor, helper.ContainingNamespace.ToDisplayString());
                    }
                });
        }
    }

    // The Retry-After fix, and for a loop around a provider call the whole retry onto the provider pipeline (which waits for Retry-After).
    private protected override IEnumerable<FixPlan> Plans(Diagnostic diagnostic, Document document, SyntaxNode root, SemanticModel model, CancellationToken cancellationToken)
    {
        var plans = Plans(diagnostic, root, model, cancellationToken).ToList();
        if (diagnostic.Properties.TryGetValue(RetryAfterSites.FixKey, out var fix) && fix == RetryAfterSites.LoopDelay &&
            root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true).FirstAncestorOrSelf<InvocationExpressionSyntax>() is { } delay)
        {
            PipelineRewriter.Offer(plans, RuleIds.RetryAfterIgnored, document, root, options => PipelineRewriter.Plan(RuleIds.RetryAfterIgnored, RetryShape.HandWrittenLoop, delay, model, options, cancellationToken));
        }

        return plans;
    }

    // await Task.Delay(wait[, token])  →  await RetryAfterDelay.DelayAsync(response, wait as a TimeSpan[, token])
    private static void ReplaceDelay(DocumentEditor editor, SemanticModel model, InvocationExpressionSyntax delay, IInvocationOperation call, ISymbol response, INamedTypeSymbol helper)
    {
        var typeName = (ExpressionSyntax)Imports.TypeName(editor.Generator, model, delay.SpanStart, helper);
        var wait = (ExpressionSyntax)call.Arguments[0].Value.Syntax;
        if (call.Arguments[0].Value.Type?.SpecialType == SpecialType.System_Int32)
        {
            var timeSpan = (ExpressionSyntax)Imports.TypeName(editor.Generator, model, delay.SpanStart, model.Compilation.GetTypeByMetadataName(KnownTypes.TimeSpan)!);
            wait = SyntaxFactory.InvocationExpression(
                SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, timeSpan, SyntaxFactory.IdentifierName("FromMilliseconds")),
                SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.Argument(wait.WithoutTrivia()))));
        }

        var arguments = new List<ArgumentSyntax> { SyntaxFactory.Argument(SyntaxFactory.IdentifierName(response.Name)), SyntaxFactory.Argument(wait.WithoutTrivia()) };
        for (var i = 1; i < delay.ArgumentList.Arguments.Count; i++)
        {
            arguments.Add(delay.ArgumentList.Arguments[i]);
        }

        var replacement = SyntaxFactory.InvocationExpression(
            SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, typeName, SyntaxFactory.IdentifierName("DelayAsync")),
            SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(arguments)));
        editor.ReplaceNode(delay, replacement.WithTriviaFrom(delay));
        if (typeName is IdentifierNameSyntax)
        {
            Imports.AddUsing(editor, helper.ContainingNamespace.ToDisplayString());
        }
    }
}
