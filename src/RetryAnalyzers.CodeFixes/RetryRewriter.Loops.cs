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

/// <summary>Planner for hand-written retry loops: the wait becomes a jittered backoff, growing locals are removed.</summary>
internal static partial class RetryRewriter
{
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

        if (!growing && IsKnownNonPositive(argumentSyntax, model, symbols, cancellationToken))
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
            else if (!GrowingLocals(argument, loop, symbols, growingLocals, bindings))
            {
                return null;
            }

            schedule = GrowingDelay.Create(argumentSyntax, model, symbols, bindings, cancellationToken);
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
    private static bool GrowingLocals(IOperation argument, ILoopOperation loop, RetrySymbols symbols, List<ILocalSymbol> locals, List<AttemptBinding> bindings)
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
                MemberIndex.For(argument).Initializer(local) is not { Syntax: ExpressionSyntax initializer } value)
            {
                return false;
            }

            locals.Add(local);
            bindings.Add(new AttemptBinding(local, DelayEvaluator.Evaluate(value, symbols), initializer));
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
               model.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol { IsStatic: true } method &&
               (KnownSymbols.Is(method.ContainingType, model.Compilation, KnownTypes.Math) || KnownSymbols.Is(method.ContainingType, model.Compilation, KnownTypes.TimeSpan)));

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
}
