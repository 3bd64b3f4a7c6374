using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// Hand-written retry loops (found by <see cref="HandWrittenRetryLoops"/>) that nothing bounds: the condition is
/// <c>true</c>, a success flag or the caller's <c>CancellationToken</c>, and neither the condition nor the body holds an
/// attempt counter, a deadline or a budget. Anything the analysis cannot read counts as a bound (quiet when unsure).
/// </summary>
internal static class UnboundedLoops
{
    // Per member: does it make a token that cancels itself after a timeout (new CancellationTokenSource(t), CancelAfter)?
    private static readonly ConditionalWeakTable<IOperation, object> TimeoutTokens = new();

    public static bool IsUnbounded(ILoopOperation loop, Compilation compilation)
    {
        var condition = loop switch
        {
            IWhileLoopOperation whileLoop => whileLoop.Condition,
            IForLoopOperation forLoop => forLoop.Condition,
            _ => null,
        };
        if (condition is not null && !BoundsNothing(condition, compilation))
        {
            return false;
        }

        var counters = Counters(loop);
        foreach (var operation in loop.Descendants())
        {
            if (IsBound(operation, counters, compilation))
            {
                return false;
            }
        }

        return !MakesTimeoutToken(loop.Root(), compilation);
    }

    /// <summary><c>true</c>, a <c>bool</c> flag, the caller's <c>IsCancellationRequested</c>, or these joined by <c>!</c>, <c>&amp;&amp;</c>, <c>||</c>.</summary>
    private static bool BoundsNothing(IOperation condition, Compilation compilation) => condition.WithoutConversions() switch
    {
        { ConstantValue: { HasValue: true, Value: true } } => true,
        IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not => BoundsNothing(not.Operand, compilation),
        IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } logical
            => BoundsNothing(logical.LeftOperand, compilation) && BoundsNothing(logical.RightOperand, compilation),
        ILocalReferenceOperation { Local.Type.SpecialType: SpecialType.System_Boolean } => true,
        IFieldReferenceOperation { Field.Type.SpecialType: SpecialType.System_Boolean } => true,
        IPropertyReferenceOperation { Property.Name: "IsCancellationRequested" } property
            => KnownSymbols.Is(property.Property.ContainingType, compilation, KnownTypes.CancellationToken),
        _ => false,
    };

    /// <summary>
    /// A bound inside the loop: an ordering comparison (<c>attempt &lt; max</c>, <c>stopwatch.Elapsed &gt; timeout</c>,
    /// <c>DateTime.UtcNow &gt;= deadline</c>) that is not an HTTP status test; a counter compared for equality or handed to a
    /// predicate (<c>ShouldRetry(attempt)</c>); a retry budget or a rate limiter.
    /// </summary>
    private static bool IsBound(IOperation operation, HashSet<ISymbol> counters, Compilation compilation)
    {
        switch (operation)
        {
            case IBinaryOperation binary when IsOrdering(binary.OperatorKind):
                return !ReadsStatus(binary.LeftOperand) && !ReadsStatus(binary.RightOperand);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals } equality:
                return ReadsAny(equality.LeftOperand, counters) || ReadsAny(equality.RightOperand, counters);
            case IRelationalPatternOperation relational:
                return !IsStatusPattern(relational);
            case IIsPatternOperation isPattern:
                return ReadsAny(isPattern.Value, counters);
            case IInvocationOperation invocation:
                var method = invocation.TargetMethod;
                if (Mentions(method.Name, "Budget") || Mentions(method.ContainingType?.Name, "Budget") ||
                    KnownSymbols.Is(method.ContainingType, compilation, KnownTypes.RateLimiter))
                {
                    return true;
                }

                if (method.ReturnType.SpecialType == SpecialType.System_Boolean)
                {
                    foreach (var argument in invocation.Arguments)
                    {
                        if (ReadsAny(argument.Value, counters))
                        {
                            return true;
                        }
                    }
                }

                return false;
            default:
                return false;
        }
    }

    private static bool IsOrdering(BinaryOperatorKind kind)
        => kind is BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual;

    private static bool Mentions(string? name, string word) => name is not null && name.IndexOf(word, StringComparison.OrdinalIgnoreCase) >= 0;

    // (int)response.StatusCode >= 500, ex.StatusCode is >= HttpStatusCode.InternalServerError
    private static bool ReadsStatus(IOperation operand)
    {
        foreach (var operation in operand.DescendantsAndSelf())
        {
            if (operation is IPropertyReferenceOperation { Property.Name: "StatusCode" or "Status" })
            {
                return true;
            }
        }

        return false;
    }

    // is >= 500, { StatusCode: >= HttpStatusCode.InternalServerError }: the pattern tests a status.
    private static bool IsStatusPattern(IOperation pattern)
    {
        for (var current = pattern.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IPropertySubpatternOperation subpattern:
                    return ReadsStatus(subpattern.Member);
                case IIsPatternOperation isPattern:
                    return ReadsStatus(isPattern.Value);
                case ISwitchExpressionOperation switchExpression:
                    return ReadsStatus(switchExpression.Value);
                case ISwitchOperation switchStatement:
                    return ReadsStatus(switchStatement.Value);
            }
        }

        return false;
    }

    private static bool ReadsAny(IOperation operand, HashSet<ISymbol> symbols)
    {
        if (symbols.Count == 0)
        {
            return false;
        }

        foreach (var operation in operand.DescendantsAndSelf())
        {
            if (AttemptScope.ReferencedSymbol(operation) is { } symbol && symbols.Contains(symbol))
            {
                return true;
            }
        }

        return false;
    }

    // The numbers the loop counts: incremented, decremented or compound-assigned inside it.
    private static HashSet<ISymbol> Counters(ILoopOperation loop)
    {
        var counters = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var operation in loop.Descendants())
        {
            var target = operation switch
            {
                IIncrementOrDecrementOperation step => step.Target,
                ICompoundAssignmentOperation compound => compound.Target,
                _ => null,
            };
            if (target is not null && AttemptScope.ReferencedSymbol(target) is { } symbol)
            {
                counters.Add(symbol);
            }
        }

        return counters;
    }

    // new CancellationTokenSource(TimeSpan.FromMinutes(5)), cts.CancelAfter(…): a deadline by token, anywhere in the member.
    private static bool MakesTimeoutToken(IOperation root, Compilation compilation)
        => TimeoutTokens.GetValue(root, r =>
        {
            foreach (var operation in r.Descendants())
            {
                switch (operation)
                {
                    case IObjectCreationOperation { Arguments.Length: > 0 } creation
                        when KnownSymbols.Is(creation.Type, compilation, KnownTypes.CancellationTokenSource):
                    case IInvocationOperation { TargetMethod.Name: "CancelAfter" }:
                        return true;
                }
            }

            return false;
        }) is true;
}
