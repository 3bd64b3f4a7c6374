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

/// <summary>
/// Plans the rewrite of one retry site onto jittered backoff. Each planner checks everything first and returns null
/// when it cannot produce code that compiles; the returned edit only touches the original syntax.
/// </summary>
internal static class RetryRewriter
{
    private const string AttemptName = "retryAttempt";
    private const string BackoffName = "retryBackoff";

    public static Action<DocumentEditor>? Plan(RetryShape shape, SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
    {
        var symbols = RetrySymbols.TryCreate(model.Compilation);
        var jittered = model.Compilation.GetTypeByMetadataName(KnownTypes.RuntimeJitteredBackoff);
        if (symbols is null)
        {
            return null;
        }

        return shape switch
        {
            RetryShape.PollyV8Options => PlanPollyV8Options(node, model, symbols, cancellationToken),
            _ when jittered is null => null, // the runtime library is not referenced
            RetryShape.PollyV7SleepProvider => PlanSleepProvider(node, model, jittered),
            RetryShape.PollyV7SleepDurations => PlanSleepDurations(node, model, jittered),
            RetryShape.ContribConstantBackoff => PlanConstantBackoff(node, model, jittered, cancellationToken),
            RetryShape.HandWrittenLoop => PlanLoop(node, model, symbols, jittered, cancellationToken),
            _ => null,
        };
    }

    // _ => TimeSpan.FromSeconds(1)  →  retryAttempt => JitteredBackoff.GetDelay(retryAttempt - 1, TimeSpan.FromSeconds(1))
    private static Action<DocumentEditor>? PlanSleepProvider(SyntaxNode node, SemanticModel model, INamedTypeSymbol jittered)
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

        var name = parameter.Identifier.ValueText;
        var rename = name == "_" || string.IsNullOrEmpty(name);
        if (rename)
        {
            name = UniqueName(model, lambda, AttemptName);
        }

        return editor =>
        {
            var generator = editor.Generator;
            var attempt = generator.SubtractExpression(generator.IdentifierName(name), generator.LiteralExpression(1));
            editor.ReplaceNode(returned, Call(editor, model, lambda, jittered, "GetDelay", attempt, returned.WithoutTrivia()).WithTriviaFrom(returned));
            if (rename)
            {
                editor.ReplaceNode(parameter, parameter.WithIdentifier(SyntaxFactory.Identifier(name).WithTriviaFrom(parameter.Identifier)));
            }
        };
    }

    // new[] { d, d, d }  →  JitteredBackoff.Delays(d, 3)
    private static Action<DocumentEditor>? PlanSleepDurations(SyntaxNode node, SemanticModel model, INamedTypeSymbol jittered)
    {
        var elements = node switch
        {
            ArrayCreationExpressionSyntax { Initializer: { } initializer } => initializer.Expressions.ToList(),
            ImplicitArrayCreationExpressionSyntax implicitArray => implicitArray.Initializer.Expressions.ToList(),
            CollectionExpressionSyntax collection when collection.Elements.All(e => e is ExpressionElementSyntax)
                => collection.Elements.Cast<ExpressionElementSyntax>().Select(e => e.Expression).ToList(),
            _ => null,
        };
        if (elements is not { Count: > 0 })
        {
            return null;
        }

        return editor => editor.ReplaceNode(
            node,
            Call(editor, model, node, jittered, "Delays", elements[0].WithoutTrivia(), editor.Generator.LiteralExpression(elements.Count)).WithTriviaFrom(node));
    }

    // Backoff.ConstantBackoff(d, n)  →  JitteredBackoff.Delays(d, n)
    private static Action<DocumentEditor>? PlanConstantBackoff(SyntaxNode node, SemanticModel model, INamedTypeSymbol jittered, CancellationToken cancellationToken)
    {
        if (node is not InvocationExpressionSyntax invocation || model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation)
        {
            return null;
        }

        var delay = operation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "delay" && a.ArgumentKind == ArgumentKind.Explicit)?.Value.Syntax;
        var count = operation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "retryCount" && a.ArgumentKind == ArgumentKind.Explicit)?.Value.Syntax;
        if (delay is null || count is null)
        {
            return null;
        }

        return editor => editor.ReplaceNode(
            invocation,
            Call(editor, model, invocation, jittered, "Delays", delay.WithoutTrivia(), count.WithoutTrivia()).WithTriviaFrom(invocation));
    }

    // BackoffType = Constant (or Polly's default), no jitter  →  BackoffType = Exponential, UseJitter = true
    private static Action<DocumentEditor>? PlanPollyV8Options(SyntaxNode node, SemanticModel model, RetrySymbols symbols, CancellationToken cancellationToken)
    {
        var creationSyntax = CreationOf(node, model, cancellationToken);
        if (creationSyntax is null || symbols.DelayBackoffType is not { } backoffType ||
            model.GetOperation(creationSyntax, cancellationToken) is not IObjectCreationOperation creation)
        {
            return null;
        }

        PollyV8RetryOptions.CollectAssignments(creation, out var assignments);
        var backoffs = assignments.Where(a => IsProperty(a, "BackoffType")).Select(a => (AssignmentExpressionSyntax)a.Syntax).ToList();
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
            if (backoffs.Count == 0)
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

    // A Task.Delay / Thread.Sleep in a retry loop: the argument becomes a jittered backoff delay.
    private static Action<DocumentEditor>? PlanLoop(SyntaxNode node, SemanticModel model, RetrySymbols symbols, INamedTypeSymbol jittered, CancellationToken cancellationToken)
    {
        if (model.GetOperation(node, cancellationToken) is not IInvocationOperation invocation ||
            HandWrittenRetryLoops.DelayArgument(invocation, symbols) is not { } argument ||
            HandWrittenRetryLoops.EnclosingLoop(invocation) is not { } loop ||
            argument.Syntax is not ExpressionSyntax argumentSyntax)
        {
            return null;
        }

        var isTimeSpan = SymbolEqualityComparer.Default.Equals(argument.WithoutConversions().Type, symbols.TimeSpan);
        if (!isTimeSpan && argument.WithoutConversions().Type?.SpecialType != SpecialType.System_Int32)
        {
            return null;
        }

        SyntaxNode BaseDelay(SyntaxGenerator generator) => isTimeSpan
            ? argumentSyntax.WithoutTrivia()
            : generator.InvocationExpression(
                generator.MemberAccessExpression(generator.TypeExpression(symbols.TimeSpan!).WithAdditionalAnnotations(Simplifier.Annotation), "FromMilliseconds"),
                argumentSyntax.WithoutTrivia());

        var attempt = AttemptExpression(loop);
        if (attempt is not null)
        {
            return editor => editor.ReplaceNode(
                argumentSyntax,
                Call(editor, model, argumentSyntax, jittered, "GetDelay", attempt, BaseDelay(editor.Generator)).WithTriviaFrom(argumentSyntax));
        }

        // No counter: a RetryBackoff before the loop hands out the sequence.
        var backoff = model.Compilation.GetTypeByMetadataName(KnownTypes.RuntimeRetryBackoff);
        if (backoff is null || loop.Syntax is not StatementSyntax { Parent: BlockSyntax } loopStatement || !Hoistable(argument, loopStatement))
        {
            return null;
        }

        var name = UniqueName(model, loopStatement, BackoffName);
        return editor =>
        {
            var generator = editor.Generator;
            Imports.AddUsing(editor, backoff.ContainingNamespace.ToDisplayString());
            var declaration = (StatementSyntax)generator.LocalDeclarationStatement(
                name,
                generator.ObjectCreationExpression(Imports.TypeName(generator, model, loopStatement.SpanStart, backoff), BaseDelay(generator)));
            editor.InsertBefore(loopStatement, declaration.WithAdditionalAnnotations(Formatter.Annotation));
            editor.ReplaceNode(
                argumentSyntax,
                generator.InvocationExpression(generator.MemberAccessExpression(generator.IdentifierName(name), "NextDelay")).WithTriviaFrom(argumentSyntax));
        };
    }

    /// <summary><c>i</c> for <c>for (int i = 0; …; i++)</c>, <c>i - k</c> for a constant start k; null when there is no plain counter.</summary>
    private static ExpressionSyntax? AttemptExpression(ILoopOperation loop)
    {
        var counter = HandWrittenRetryLoops.LoopCounter(loop);
        if (counter is null || new AttemptScope(((IForLoopOperation)loop).Body, null, null).WrittenBetweenAttempts(counter) is not null)
        {
            return null;
        }

        var declarator = ((IVariableDeclarationGroupOperation)((IForLoopOperation)loop).Before[0]).Declarations[0].Declarators[0];
        if (declarator.Initializer?.Value.ConstantValue is not { HasValue: true, Value: int start })
        {
            return null;
        }

        var name = SyntaxFactory.IdentifierName(counter.Name);
        return start == 0
            ? name
            : SyntaxFactory.BinaryExpression(SyntaxKind.SubtractExpression, name, SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(start)));
    }

    /// <summary>Every local the delay reads is declared before the loop, so the expression can move in front of it.</summary>
    private static bool Hoistable(IOperation argument, StatementSyntax loop)
    {
        foreach (var operation in argument.DescendantsAndSelf())
        {
            if (operation is ILocalReferenceOperation local &&
                local.Local.DeclaringSyntaxReferences.Any(r => loop.Span.Contains(r.Span)))
            {
                return false;
            }
        }

        return true;
    }

    private static ExpressionSyntax? CreationOf(SyntaxNode node, SemanticModel model, CancellationToken cancellationToken)
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

    private static SyntaxNode AddToInitializer(BaseObjectCreationExpressionSyntax creation, List<ExpressionSyntax> members)
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

    /// <summary><c>JitteredBackoff.Method(arguments)</c>, with the <c>using</c> for the runtime library added to the file.</summary>
    private static SyntaxNode Call(DocumentEditor editor, SemanticModel model, SyntaxNode site, INamedTypeSymbol type, string method, params SyntaxNode[] arguments)
    {
        Imports.AddUsing(editor, type.ContainingNamespace.ToDisplayString());
        var generator = editor.Generator;
        return generator.InvocationExpression(generator.MemberAccessExpression(Imports.TypeName(generator, model, site.SpanStart, type), method), arguments);
    }

    /// <summary><paramref name="preferred"/>, or with a number appended, so that it names nothing visible or declared in the member.</summary>
    private static string UniqueName(SemanticModel model, SyntaxNode position, string preferred)
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
