using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using RetryAnalyzers.Internal;

namespace RetryAnalyzers.CodeFixes;

/// <summary>Planner for Polly v8 <c>RetryStrategyOptions</c>: exponential backoff with jitter in the options creation.</summary>
internal static partial class RetryRewriter
{
    // RA0001: BackoffType = Constant (or Polly's default), no jitter  →  BackoffType = Exponential, UseJitter = true
    // RA0002: BackoffType = Exponential or Linear, no jitter  →  the same backoff type, UseJitter = true
    private static Action<DocumentEditor>? PlanPollyV8Options(SyntaxNode node, SemanticModel model, RetrySymbols symbols, bool keepBackoffType, CancellationToken cancellationToken)
    {
        var creationSyntax = CreationOf(node, model, cancellationToken);
        if (creationSyntax is null || symbols.DelayBackoffType is not { } backoffType ||
            model.GetOperation(creationSyntax, cancellationToken) is not IObjectCreationOperation creation)
        {
            return null;
        }

        PollyV8RetryOptions.CollectAssignments(creation, out var assignments);
        var backoffs = keepBackoffType
            ? new List<AssignmentExpressionSyntax>()
            : assignments.Where(a => IsProperty(a, "BackoffType")).Select(a => (AssignmentExpressionSyntax)a.Syntax).ToList();
        var jitters = assignments.Where(a => IsProperty(a, "UseJitter")).Select(a => (AssignmentExpressionSyntax)a.Syntax).ToList();

        return editor =>
        {
            var generator = editor.Generator;
            SyntaxNode Exponential(ExpressionSyntax? old) => old is MemberAccessExpressionSyntax member
                ? member.WithName(SyntaxFactory.IdentifierName("Exponential"))
                : generator.MemberAccessExpression(generator.TypeExpression(backoffType).WithAdditionalAnnotations(Simplifier.Annotation), "Exponential");

            foreach (var assignment in backoffs)
            {
                editor.ReplaceNode(assignment.Right, Exponential(assignment.Right).WithTriviaFrom(assignment.Right));
            }

            foreach (var assignment in jitters)
            {
                editor.ReplaceNode(assignment.Right, generator.TrueLiteralExpression().WithTriviaFrom(assignment.Right));
            }

            var missing = new List<ExpressionSyntax>();
            if (backoffs.Count == 0 && !keepBackoffType)
            {
                missing.Add(Member("BackoffType", (ExpressionSyntax)Exponential(null)));
            }

            if (jitters.Count == 0)
            {
                missing.Add(Member("UseJitter", SyntaxFactory.LiteralExpression(SyntaxKind.TrueLiteralExpression)));
            }

            if (missing.Count > 0)
            {
                editor.ReplaceNode(creationSyntax, (current, _) => AddToInitializer((BaseObjectCreationExpressionSyntax)current, missing));
            }
        };
    }

    internal static ExpressionSyntax? CreationOf(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        if (node is BaseObjectCreationExpressionSyntax creation)
        {
            return creation;
        }

        if (node is not AssignmentExpressionSyntax assignment)
        {
            return null;
        }

        // BackoffType = … inside the initializer, or options.BackoffType = … on a local initialized with the creation.
        if (assignment.Parent is InitializerExpressionSyntax { Parent: BaseObjectCreationExpressionSyntax owner })
        {
            return owner;
        }

        return assignment.Left is MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax receiver } &&
               model.GetSymbolInfo(receiver, cancellationToken).Symbol is ILocalSymbol local &&
               local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: BaseObjectCreationExpressionSyntax initial }
            ? initial
            : null;
    }

    private static bool IsProperty(ISimpleAssignmentOperation assignment, string name)
        => assignment.Target is IPropertyReferenceOperation property && property.Property.Name == name;

    private static ExpressionSyntax Member(string name, ExpressionSyntax value)
        => SyntaxFactory.AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, SyntaxFactory.IdentifierName(name), value);

    internal static SyntaxNode AddToInitializer(BaseObjectCreationExpressionSyntax creation, List<ExpressionSyntax> members)
    {
        if (creation.Initializer is { } initializer)
        {
            return creation.WithInitializer(initializer.AddExpressions(members.ToArray())).WithAdditionalAnnotations(Formatter.Annotation);
        }

        var created = SyntaxFactory.InitializerExpression(SyntaxKind.ObjectInitializerExpression, SyntaxFactory.SeparatedList(members));
        var trailing = creation.GetTrailingTrivia();
        var withoutTrivia = creation.WithoutTrailingTrivia();
        var updated = withoutTrivia switch
        {
            // new RetryStrategyOptions() → new RetryStrategyOptions { … }: keep the argument list only when it has arguments.
            ObjectCreationExpressionSyntax { ArgumentList.Arguments.Count: 0 } explicitCreation
                => explicitCreation.WithArgumentList(null).WithType(explicitCreation.Type.WithTrailingTrivia(SyntaxFactory.Space)).WithInitializer(created),
            _ => withoutTrivia.WithInitializer(created),
        };
        return updated.WithTrailingTrivia(trailing).WithAdditionalAnnotations(Formatter.Annotation);
    }
}
