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
    private const double DefaultCapMilliseconds = 30_000; // JitteredBackoff.DefaultMaxDelay
    private static readonly Dictionary<ISymbol, double> NoBindings = new(SymbolEqualityComparer.Default);

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
            RetryShape.PollyV8Options => PlanPollyV8Options(node, model, symbols, keepBackoffType: growing, cancellationToken),
            _ when jittered is null => null, // the runtime library is not referenced
            RetryShape.PollyV7SleepProvider => PlanSleepProvider(node, model, symbols, jittered, growing, cancellationToken),
            RetryShape.PollyV7SleepDurations => PlanSleepDurations(node, model, jittered, growing, cancellationToken),
            RetryShape.ContribBackoff => PlanContribBackoff(node, model, jittered, cancellationToken),
            RetryShape.HandWrittenLoop => PlanLoop(node, model, symbols, jittered, growing, cancellationToken),
            _ => null,
        };
    }

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

        if (!growing && IsKnownNonPositive(returned, model, cancellationToken))
        {
            return null;
        }

        // Polly v7 numbers retries from 1, the runtime from 0: the first delay is the provider's value at attempt 1.
        GrowingDelay? schedule = null;
        if (growing &&
            (model.GetDeclaredSymbol(parameter, cancellationToken) is not { } attempt ||
             (schedule = GrowingDelay.Create(returned, model, symbols.TimeSpan!, new[] { new AttemptBinding(attempt, 1, Literal(1)) }, cancellationToken)) is null))
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
    private static Action<DocumentEditor>? PlanSleepDurations(SyntaxNode node, SemanticModel model, INamedTypeSymbol jittered, bool growing, CancellationToken cancellationToken)
    {
        var elements = node switch
        {
            ArrayCreationExpressionSyntax { Initializer: { } initializer } => initializer.Expressions.ToList(),
            ImplicitArrayCreationExpressionSyntax implicitArray => implicitArray.Initializer.Expressions.ToList(),
            CollectionExpressionSyntax collection when collection.Elements.All(e => e is ExpressionElementSyntax)
                => collection.Elements.Cast<ExpressionElementSyntax>().Select(e => e.Expression).ToList(),
            _ => null,
        };
        if (elements is not { Count: > 0 } || IsKnownNonPositive(elements[0], model, cancellationToken))
        {
            return null;
        }

        // A growing array's last (longest) delay is its cap; keep it when it is beyond the runtime's default cap.
        var last = growing && model.GetOperation(elements[elements.Count - 1], cancellationToken) is { } lastDelay &&
                   DelayEvaluator.Evaluate(lastDelay, NoBindings) is { } lastMs && lastMs > DefaultCapMilliseconds
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
    private static Action<DocumentEditor>? PlanContribBackoff(SyntaxNode node, SemanticModel model, INamedTypeSymbol jittered, CancellationToken cancellationToken)
    {
        if (node is not InvocationExpressionSyntax invocation || model.GetOperation(invocation, cancellationToken) is not IInvocationOperation operation)
        {
            return null;
        }

        var delay = operation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 0 && a.ArgumentKind == ArgumentKind.Explicit)?.Value.Syntax;
        var count = operation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "retryCount" && a.ArgumentKind == ArgumentKind.Explicit)?.Value.Syntax;
        if (delay is null || count is null || IsKnownNonPositive(delay, model, cancellationToken))
        {
            return null;
        }

        return editor => editor.ReplaceNode(
            invocation,
            Call(editor, model, invocation, jittered, "Delays", delay.WithoutTrivia(), count.WithoutTrivia()).WithTriviaFrom(invocation));
    }

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

    // A Task.Delay / Thread.Sleep in a retry loop: the argument becomes a jittered backoff delay.
    private static Action<DocumentEditor>? PlanLoop(SyntaxNode node, SemanticModel model, RetrySymbols symbols, INamedTypeSymbol jittered, bool growing, CancellationToken cancellationToken)
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

        if (!growing && IsKnownNonPositive(argumentSyntax, model, cancellationToken))
        {
            return null;
        }

        var attempt = AttemptExpression(loop, out var counter, out var start);
        GrowingDelay? schedule = null;
        var growingLocals = new List<ILocalSymbol>();
        if (growing)
        {
            // The first delay: the counter at its start value, or each growing local at its initial value.
            var bindings = new List<AttemptBinding>();
            if (attempt is not null)
            {
                bindings.Add(new AttemptBinding(counter!, start, Literal(start)));
            }
            else if (!GrowingLocals(argument, loop, growingLocals, bindings))
            {
                return null;
            }

            schedule = GrowingDelay.Create(argumentSyntax, model, symbols.TimeSpan!, bindings, cancellationToken);
            if (schedule is null)
            {
                return null;
            }
        }

        SyntaxNode[] Arguments(SyntaxGenerator generator, params SyntaxNode[] leading) => schedule is not null
            ? schedule.Arguments(generator, leading)
            : leading.Concat(new[]
            {
                isTimeSpan
                    ? argumentSyntax.WithoutTrivia()
                    : generator.InvocationExpression(
                        generator.MemberAccessExpression(generator.TypeExpression(symbols.TimeSpan!).WithAdditionalAnnotations(Simplifier.Annotation), "FromMilliseconds"),
                        argumentSyntax.WithoutTrivia()),
            }).ToArray();

        if (attempt is not null)
        {
            return editor => editor.ReplaceNode(
                argumentSyntax,
                Call(editor, model, argumentSyntax, jittered, "GetDelay", Arguments(editor.Generator, attempt)).WithTriviaFrom(argumentSyntax));
        }

        // No counter: a RetryBackoff before the loop hands out the sequence.
        var backoff = model.Compilation.GetTypeByMetadataName(KnownTypes.RuntimeRetryBackoff);
        if (backoff is null || loop.Syntax is not StatementSyntax { Parent: BlockSyntax } loopStatement || !Hoistable(argument, loopStatement, growingLocals))
        {
            return null;
        }

        var name = UniqueName(model, loopStatement, BackoffName);
        var deadCode = DeadGrowthStatements(growingLocals, argument, model, cancellationToken);
        return editor =>
        {
            var generator = editor.Generator;
            Imports.AddUsing(editor, backoff.ContainingNamespace.ToDisplayString());
            var declaration = (StatementSyntax)generator.LocalDeclarationStatement(
                name,
                generator.ObjectCreationExpression(Imports.TypeName(generator, model, loopStatement.SpanStart, backoff), Arguments(generator)));
            editor.InsertBefore(loopStatement, declaration.WithAdditionalAnnotations(Formatter.Annotation));
            editor.ReplaceNode(
                argumentSyntax,
                generator.InvocationExpression(generator.MemberAccessExpression(generator.IdentifierName(name), "NextDelay")).WithTriviaFrom(argumentSyntax));
            foreach (var statement in deadCode)
            {
                editor.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia);
            }
        };
    }

    /// <summary>
    /// The locals of the delay that grow in the loop (<c>delay *= 2</c>, <c>attempt++</c>), each bound to its initializer.
    /// False when another kind of variable grows, or a growing local has no initializer before the loop.
    /// </summary>
    private static bool GrowingLocals(IOperation argument, ILoopOperation loop, List<ILocalSymbol> locals, List<AttemptBinding> bindings)
    {
        var scope = new AttemptScope(loop, attemptSymbol: null, containingLambda: null);
        foreach (var operation in argument.DescendantsAndSelf())
        {
            var symbol = AttemptScope.ReferencedSymbol(operation);
            if (symbol is null || scope.WrittenBetweenAttempts(symbol) is not true || (symbol is ILocalSymbol seen && locals.Contains(seen)))
            {
                continue;
            }

            if (symbol is not ILocalSymbol local ||
                local.DeclaringSyntaxReferences.Any(r => loop.Syntax.Span.Contains(r.Span)) ||
                DelayClassifier.FindInitializer(local, argument) is not { Syntax: ExpressionSyntax initializer } value)
            {
                return false;
            }

            locals.Add(local);
            bindings.Add(new AttemptBinding(local, DelayEvaluator.Evaluate(value, NoBindings), initializer));
        }

        return locals.Count > 0;
    }

    /// <summary>
    /// Once the wait comes from the backoff, a local that only fed it (<c>var delay = 100;</c> … <c>delay *= 2;</c>) is dead:
    /// its declaration and its update statements are removed. Nothing is removed if the local is read anywhere else.
    /// </summary>
    private static List<SyntaxNode> DeadGrowthStatements(List<ILocalSymbol> locals, IOperation argument, SemanticModel model, CancellationToken cancellationToken)
    {
        var dead = new List<SyntaxNode>();
        foreach (var local in locals)
        {
            if (local.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) is not VariableDeclaratorSyntax
                {
                    Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax declaration },
                } declarator ||
                declarator.FirstAncestorOrSelf<MemberDeclarationSyntax>() is not { } member)
            {
                continue;
            }

            var updates = new List<SyntaxNode> { declaration };
            var onlyFeedsTheDelay = true;
            foreach (var identifier in member.DescendantNodes().OfType<IdentifierNameSyntax>())
            {
                if (identifier.Identifier.ValueText != local.Name ||
                    argument.Syntax.Span.Contains(identifier.Span) ||
                    !SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(identifier, cancellationToken).Symbol, local))
                {
                    continue;
                }

                // delay *= 2;  delay = delay * 2;  delay = Math.Min(delay * 2, max);  attempt++;
                var statement = identifier.Parent is PostfixUnaryExpressionSyntax or PrefixUnaryExpressionSyntax
                    ? identifier.Parent.Parent as ExpressionStatementSyntax
                    : identifier.FirstAncestorOrSelf<AssignmentExpressionSyntax>() is { Parent: ExpressionStatementSyntax update } assignment &&
                      IsSelfUpdate(assignment, local, model, cancellationToken)
                        ? update
                        : null;
                if (statement is null || statement.Parent is not BlockSyntax)
                {
                    onlyFeedsTheDelay = false;
                    break;
                }

                updates.Add(statement);
            }

            if (onlyFeedsTheDelay)
            {
                dead.AddRange(updates.Distinct());
            }
        }

        return dead;
    }

    // delay = Math.Min(delay * 2, max): an update of the local from itself, with no call that could do anything else.
    private static bool IsSelfUpdate(AssignmentExpressionSyntax assignment, ILocalSymbol local, SemanticModel model, CancellationToken cancellationToken)
        => SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol, local) &&
           assignment.Right.DescendantNodesAndSelf().OfType<InvocationExpressionSyntax>().All(call =>
               model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol { IsStatic: true, ContainingType.Name: "Math" or "TimeSpan" });

    /// <summary><c>i</c> for <c>for (int i = 0; …; i++)</c>, <c>i - k</c> for a constant start k; null when there is no plain counter.</summary>
    private static ExpressionSyntax? AttemptExpression(ILoopOperation loop, out ILocalSymbol? counter, out int start)
    {
        start = 0;
        counter = HandWrittenRetryLoops.LoopCounter(loop);
        if (counter is null || new AttemptScope(((IForLoopOperation)loop).Body, null, null).WrittenBetweenAttempts(counter) is not null)
        {
            return null;
        }

        var declarator = ((IVariableDeclarationGroupOperation)((IForLoopOperation)loop).Before[0]).Declarations[0].Declarators[0];
        if (declarator.Initializer?.Value.ConstantValue is not { HasValue: true, Value: int first })
        {
            return null;
        }

        start = first;
        var name = SyntaxFactory.IdentifierName(counter.Name);
        return start == 0
            ? name
            : SyntaxFactory.BinaryExpression(SyntaxKind.SubtractExpression, name, Literal(start));
    }

    private static LiteralExpressionSyntax Literal(int value)
        => SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(value));

    /// <summary>Every local the delay reads (but the growing ones, replaced by their initial values) is declared before the loop, so the expression can move in front of it.</summary>
    private static bool Hoistable(IOperation argument, StatementSyntax loop, List<ILocalSymbol> growingLocals)
    {
        foreach (var operation in argument.DescendantsAndSelf())
        {
            if (operation is ILocalReferenceOperation local && !growingLocals.Contains(local.Local) &&
                local.Local.DeclaringSyntaxReferences.Any(r => loop.Span.Contains(r.Span)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A wait known to be zero (<c>TimeSpan.Zero</c>, <c>Task.Delay(0)</c>): it cannot be the base of a backoff, so no fix is offered.</summary>
    private static bool IsKnownNonPositive(SyntaxNode delay, SemanticModel model, CancellationToken cancellationToken)
        => model.GetOperation(delay, cancellationToken) is { } operation && DelayEvaluator.Evaluate(operation, NoBindings) is <= 0;

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
