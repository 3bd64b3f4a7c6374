using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// Hand-written retry loops: a <c>Task.Delay</c> / <c>Thread.Sleep</c> reached after a failure (in a <c>catch</c>, after
/// a swallowed exception, or after a failed HTTP status check) inside a <c>for</c>/<c>while</c>/<c>do</c> loop that
/// leaves on success, or in a helper method such a loop calls there (<see cref="WaitHelpers"/>). Polling loops, periodic
/// workers and delays not preceded by a failure are not retry loops.
/// </summary>
internal static class HandWrittenRetryLoops
{
    public static RetrySite? Analyze(IInvocationOperation invocation, RetrySymbols symbols)
    {
        var delayArgument = DelayArgument(invocation, symbols);
        if (delayArgument is null)
        {
            return null;
        }

        var loop = EnclosingLoop(invocation);
        if (loop is null)
        {
            return symbols.WaitHelpers.Analyze(invocation, delayArgument, symbols);
        }

        if (!IsAfterFailure(invocation, loop, symbols))
        {
            return null;
        }

        var scope = new AttemptScope(loop, LoopCounter(loop), containingLambda: null);
        var delay = DelayClassifier.Classify(delayArgument, scope, symbols);
        return new RetrySite(RetryShape.HandWrittenLoop, delay, invocation.Syntax.GetLocation(), RetrySite.Describe(delay.Value, delayArgument.Syntax));
    }

    /// <summary>The retry loop whose wait <paramref name="call"/> is (it is reached after a failure in the loop), or null.</summary>
    public static ILoopOperation? RetryLoopOf(IOperation call, RetrySymbols symbols)
        => EnclosingLoop(call) is { } loop && IsAfterFailure(call, loop, symbols) ? loop : null;

    /// <summary>The wait of <c>Task.Delay(int|TimeSpan, …)</c> or <c>Thread.Sleep(int|TimeSpan)</c>, else null.</summary>
    public static IOperation? DelayArgument(IInvocationOperation invocation, RetrySymbols symbols)
    {
        var method = invocation.TargetMethod;
        var isDelay = (method.Name == "Delay" && SymbolEqualityComparer.Default.Equals(method.ContainingType, symbols.Task)) ||
                      (method.Name == "Sleep" && SymbolEqualityComparer.Default.Equals(method.ContainingType, symbols.Thread));
        if (!isDelay || method.Parameters.Length == 0)
        {
            return null;
        }

        var first = method.Parameters[0].Type;
        if (first.SpecialType != SpecialType.System_Int32 && !SymbolEqualityComparer.Default.Equals(first, symbols.TimeSpan))
        {
            return null;
        }

        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == 0)
            {
                return argument.Value;
            }
        }

        return null;
    }

    /// <summary>The nearest <c>for</c>/<c>while</c>/<c>do</c> loop in the same function (not <c>foreach</c>).</summary>
    public static ILoopOperation? EnclosingLoop(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IAnonymousFunctionOperation or ILocalFunctionOperation:
                    return null;
                case ILoopOperation { LoopKind: LoopKind.For or LoopKind.While } loop:
                    return loop;
                case ILoopOperation:
                    return null;
            }
        }

        return null;
    }

    /// <summary>The <c>int i</c> of <c>for (int i = …; …; i++)</c>, when the loop has exactly one such counter.</summary>
    public static ILocalSymbol? LoopCounter(ILoopOperation loop)
    {
        if (loop is not IForLoopOperation { Before.Length: 1, AtLoopBottom.Length: 1 } forLoop ||
            forLoop.Before[0] is not IVariableDeclarationGroupOperation { Declarations.Length: 1 } group ||
            group.Declarations[0].Declarators.Length != 1)
        {
            return null;
        }

        var declarator = group.Declarations[0].Declarators[0];
        if (declarator.Symbol.Type.SpecialType != SpecialType.System_Int32)
        {
            return null;
        }

        var step = forLoop.AtLoopBottom[0] is IExpressionStatementOperation statement ? statement.Operation : forLoop.AtLoopBottom[0];
        var target = step switch
        {
            IIncrementOrDecrementOperation { Kind: OperationKind.Increment } increment => increment.Target,
            ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Add, Value.ConstantValue: { HasValue: true, Value: 1 } } compound => compound.Target,
            _ => null,
        };
        return target is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, declarator.Symbol)
            ? declarator.Symbol
            : null;
    }

    private static bool IsAfterFailure(IOperation delay, ILoopOperation loop, RetrySymbols symbols)
    {
        IOperation child = delay;
        for (var current = delay.Parent; current is not null && current != loop; child = current, current = current.Parent)
        {
            switch (current)
            {
                // catch (…) { await Task.Delay(…); } — a retry only if the loop can also end on success.
                case ICatchClauseOperation catchClause:
                    return ExitsLoop(loop.Body, loop, excluded: catchClause, symbols);

                // if (!response.IsSuccessStatusCode) { await Task.Delay(…); } — the failure branch of a status check only.
                case IConditionalOperation conditional when conditional.Condition != child && IsStatusCheck(conditional.Condition, symbols):
                    return Branch(conditional, onSuccess: false) == child && ExitsLoop(loop.Body, loop, excluded: child, symbols);

                // try { … } catch (…) { retry = …; }  if (retry) { await Task.Delay(…); }  — a flag only a failure sets.
                case IConditionalOperation conditional when conditional.WhenTrue == child && IsFailureFlag(conditional.Condition, loop, symbols):
                    return true;

                // try { return await CallAsync(); } catch { }  await Task.Delay(…);
                // if (response.IsSuccessStatusCode) return response;  await Task.Delay(…);
                case IBlockOperation block:
                    // The block's first failure gate, found once per block: a gate before the wait makes it a retry wait.
                    var gate = MemberIndex.For(block).FirstGate(block, loop, key => FirstFailureGate((IBlockOperation)key.Block, loop, symbols));
                    if (gate is not null && gate.Syntax.SpanStart < child.Syntax.SpanStart)
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    /// <summary>
    /// A <c>bool</c> local that, inside the loop, is set only in a <c>catch</c> (or reset to <c>false</c>), in a loop that
    /// leaves on success (its condition reads the flag, or the body returns or breaks).
    /// </summary>
    private static bool IsFailureFlag(IOperation condition, ILoopOperation loop, RetrySymbols symbols)
    {
        if (condition.WithoutConversions() is not ILocalReferenceOperation { Local: { Type.SpecialType: SpecialType.System_Boolean } flag })
        {
            return false;
        }

        var setOnFailure = false;
        foreach (var reference in MemberIndex.For(loop).References(flag))
        {
            if (!MemberIndex.IsWrite(reference) || !IsInside(reference, loop.Body))
            {
                continue;
            }

            if (InCatch(reference, loop))
            {
                setOnFailure = true;
            }
            else if (reference.Parent is not ISimpleAssignmentOperation { Value.ConstantValue: { HasValue: true, Value: false } })
            {
                return false; // set on another path too
            }
        }

        return setOnFailure && (ConditionReads(loop, flag) || ExitsLoop(loop.Body, loop, excluded: null, symbols));
    }

    private static bool InCatch(IOperation operation, ILoopOperation loop)
    {
        for (var current = operation.Parent; current is not null && current != loop; current = current.Parent)
        {
            if (current is ICatchClauseOperation)
            {
                return true;
            }
        }

        return false;
    }

    private static IOperation? FirstFailureGate(IBlockOperation block, ILoopOperation loop, RetrySymbols symbols)
    {
        foreach (var statement in block.Operations)
        {
            if (IsFailureGate(statement, loop, symbols))
            {
                return statement;
            }
        }

        return null;
    }

    private static bool IsFailureGate(IOperation statement, ILoopOperation loop, RetrySymbols symbols) => statement switch
    {
        ITryOperation { Catches.Length: > 0 } tryStatement => ExitsLoop(tryStatement.Body, loop, excluded: null, symbols),
        // if (response.IsSuccessStatusCode) return response;  — leaves the loop on the success branch.
        IConditionalOperation conditional => IsStatusCheck(conditional.Condition, symbols) &&
                                             Branch(conditional, onSuccess: true) is { } successBranch && ExitsLoop(successBranch, loop, null, symbols),
        _ => false,
    };

    /// <summary>
    /// A <c>return</c>, a <c>break</c> of this loop, or a success flag set (<c>done = true</c>, a <c>bool</c> local the
    /// loop's condition reads) inside <paramref name="region"/> (not inside <paramref name="excluded"/>). Leaving on
    /// cancellation (in a <c>catch (OperationCanceledException)</c>, or under a test of <c>IsCancellationRequested</c>) is
    /// not leaving on success: a <c>while (true)</c> worker whose only <c>break</c> is there is not a retry loop.
    /// </summary>
    private static bool ExitsLoop(IOperation region, ILoopOperation loop, IOperation? excluded, RetrySymbols symbols)
    {
        // The exits of a region are found once (a loop body is asked about by every wait in it); then only `excluded` varies.
        foreach (var exit in MemberIndex.For(region).List(region, loop, key => Exits(key.Region, loop, symbols)))
        {
            if (!IsInside(exit, excluded))
            {
                return true;
            }
        }

        return false;
    }

    private static List<IOperation> Exits(IOperation region, ILoopOperation loop, RetrySymbols symbols)
    {
        var exits = new List<IOperation>();
        foreach (var operation in region.DescendantsAndSelf())
        {
            var isExit = operation switch
            {
                IReturnOperation { Kind: OperationKind.Return } => true,
                IBranchOperation { BranchKind: BranchKind.Break } branch => SymbolEqualityComparer.Default.Equals(branch.Target, loop.ExitLabel),
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation flag, Value.ConstantValue: { HasValue: true, Value: bool } } => ConditionReads(loop, flag.Local),
                _ => false,
            };
            if (isExit && !InNestedFunction(operation, region) && !OnCancellation(operation, region, symbols))
            {
                exits.Add(operation);
            }
        }

        return exits;
    }

    private static bool OnCancellation(IOperation exit, IOperation region, RetrySymbols symbols)
    {
        for (var current = exit.Parent; current is not null && current != region.Parent; current = current.Parent)
        {
            switch (current)
            {
                case ICatchClauseOperation catchClause when symbols.IsCancellation(catchClause.ExceptionType):
                    return true;
                case IConditionalOperation conditional when ReadsCancellation(conditional.Condition, symbols):
                    return true;
            }
        }

        return false;
    }

    private static bool ReadsCancellation(IOperation condition, RetrySymbols symbols)
    {
        foreach (var operation in condition.DescendantsAndSelf())
        {
            if (operation is IPropertyReferenceOperation { Property.Name: "IsCancellationRequested" } property &&
                SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, symbols.CancellationToken))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ConditionReads(ILoopOperation loop, ILocalSymbol local)
    {
        var condition = loop switch
        {
            IWhileLoopOperation whileLoop => whileLoop.Condition,
            IForLoopOperation forLoop => forLoop.Condition,
            _ => null,
        };
        if (condition is null || local.Type.SpecialType != SpecialType.System_Boolean)
        {
            return false;
        }

        foreach (var operation in condition.DescendantsAndSelf())
        {
            if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Does the condition test an HTTP outcome: <c>IsSuccessStatusCode</c>, <c>StatusCode</c>, an <c>HttpStatusCode</c>, 429?</summary>
    private static bool IsStatusCheck(IOperation condition, RetrySymbols symbols)
    {
        foreach (var operation in condition.DescendantsAndSelf())
        {
            switch (operation)
            {
                case IPropertyReferenceOperation property when SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, symbols.HttpResponseMessage):
                case IFieldReferenceOperation field when SymbolEqualityComparer.Default.Equals(field.Field.ContainingType, symbols.HttpStatusCode):
                case ILiteralOperation { ConstantValue: { HasValue: true, Value: 429 } }:
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a status check is true on success (<c>IsSuccessStatusCode</c>, <c>StatusCode == OK</c>, <c>!= TooManyRequests</c>)
    /// or on failure (<c>== TooManyRequests</c>, <c>== 429</c>, <c>&gt;= 500</c>); null when it cannot tell.
    /// </summary>
    private static bool? MeansSuccess(IOperation condition)
    {
        switch (condition.WithoutConversions())
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                return !MeansSuccess(not.Operand);
            case IPropertyReferenceOperation { Property.Name: "IsSuccessStatusCode" }:
                return true;
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } logical:
                return Agreeing(MeansSuccess(logical.LeftOperand), MeansSuccess(logical.RightOperand));
            case IBinaryOperation binary:
                var codeOnRight = StatusCode(binary.RightOperand) is not null;
                return Compared(binary.OperatorKind, codeOnRight ? binary.RightOperand : binary.LeftOperand, codeOnRight);
            case IIsPatternOperation isPattern:
                return PatternMeansSuccess(isPattern.Pattern);
            default:
                return null;
        }
    }

    // `is 429`, `is not (TooManyRequests or ServiceUnavailable)`, `is >= 500 or 429`: the pattern read as a status check.
    private static bool? PatternMeansSuccess(IPatternOperation pattern) => pattern switch
    {
        IConstantPatternOperation constant => StatusCode(constant.Value) is { } matched ? matched is >= 200 and < 300 : null,
        INegatedPatternOperation negated => !PatternMeansSuccess(negated.Pattern),
        IBinaryPatternOperation binary => Agreeing(PatternMeansSuccess(binary.LeftPattern), PatternMeansSuccess(binary.RightPattern)),
        IRelationalPatternOperation relational => Compared(relational.OperatorKind, relational.Value, codeOnRight: true),
        _ => null,
    };

    // Two parts of one check: what they agree on, or what the one that can tell says.
    private static bool? Agreeing(bool? left, bool? right)
        => left is null ? right : right is null || right == left ? left : null;

    // status <op> code (or code <op> status): true on success, false on failure, null when it cannot tell.
    private static bool? Compared(BinaryOperatorKind kind, IOperation codeOperand, bool codeOnRight)
    {
        if (StatusCode(codeOperand) is not { } value)
        {
            return null;
        }

        var success = value is >= 200 and < 300;
        return (kind, codeOnRight) switch
        {
            (BinaryOperatorKind.Equals, _) => success,
            (BinaryOperatorKind.NotEquals, _) => !success,
            (BinaryOperatorKind.GreaterThanOrEqual or BinaryOperatorKind.GreaterThan, true) or
            (BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.LessThan, false) when value >= 400 => false,
            (BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.LessThan, true) or
            (BinaryOperatorKind.GreaterThanOrEqual or BinaryOperatorKind.GreaterThan, false) when value is > 200 and <= 400 => true,
            _ => null,
        };
    }

    /// <summary>The branch of a status check taken on success (or on failure); null when the check's polarity is unknown.</summary>
    private static IOperation? Branch(IConditionalOperation conditional, bool onSuccess)
        => MeansSuccess(conditional.Condition) is { } success ? (success == onSuccess ? conditional.WhenTrue : conditional.WhenFalse) : null;

    /// <summary>The number of an <c>HttpStatusCode</c> constant or an integer literal in the HTTP range.</summary>
    private static int? StatusCode(IOperation operation)
        => operation.WithoutConversions().ConstantValue is { HasValue: true, Value: int code } && code is >= 100 and < 600 ? code : null;

    private static bool IsInside(IOperation operation, IOperation? container)
    {
        for (var current = operation; current is not null && container is not null; current = current.Parent)
        {
            if (current == container)
            {
                return true;
            }
        }

        return false;
    }

    private static bool InNestedFunction(IOperation operation, IOperation region)
    {
        for (var current = operation.Parent; current is not null && current != region; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return true;
            }
        }

        return false;
    }
}
