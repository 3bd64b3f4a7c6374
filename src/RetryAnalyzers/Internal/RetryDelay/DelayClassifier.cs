using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// Classifies a delay expression as constant, growing, jittered or unknown. No guessing: anything it cannot follow is
/// unknown. The value of a constant delay comes from <see cref="DelayEvaluator"/>, the one engine the fixes use too.
/// </summary>
internal static class DelayClassifier
{
    private const int MaxDepth = 6;

    public static DelayClass Classify(IOperation operation, AttemptScope scope, RetrySymbols symbols)
    {
        var result = Classify(operation, scope, symbols, depth: 0);
        return result is { Kind: DelayKind.Constant, Value: null } && DelayEvaluator.Evaluate(operation, symbols) is { } value
            ? new DelayClass(DelayKind.Constant, value)
            : result;
    }

    private static DelayClass Classify(IOperation operation, AttemptScope scope, RetrySymbols symbols, int depth)
    {
        if (depth > MaxDepth)
        {
            return DelayClass.Unknown;
        }

        if (operation.ConstantValue.HasValue)
        {
            return new DelayClass(DelayKind.Constant, DelayEvaluator.Evaluate(operation, symbols));
        }

        switch (operation)
        {
            case IConversionOperation conversion:
                return Classify(conversion.Operand, scope, symbols, depth + 1);
            case IParenthesizedOperation parenthesized:
                return Classify(parenthesized.Operand, scope, symbols, depth + 1);
            case IInvocationOperation invocation:
                return ClassifyInvocation(invocation, scope, symbols, depth);
            case IObjectCreationOperation creation when SymbolEqualityComparer.Default.Equals(creation.Type, symbols.TimeSpan):
                return CombineAll(creation.Arguments, scope, symbols, depth);
            case IBinaryOperation binary:
                return ClassifyBinary(binary, scope, symbols, depth);
            case IArrayElementReferenceOperation element:
                return ClassifyArrayLookup(element, scope, symbols, depth);
            case IConditionalOperation { WhenFalse: not null } conditional:
                return Classify(conditional.Condition, scope, symbols, depth + 1)
                    .CombineWith(Classify(conditional.WhenTrue, scope, symbols, depth + 1))
                    .CombineWith(Classify(conditional.WhenFalse, scope, symbols, depth + 1));
            case ILocalReferenceOperation local:
                return ClassifyVariable(local.Local, operation, scope, symbols, depth);
            case IParameterReferenceOperation parameter:
                if (SymbolEqualityComparer.Default.Equals(parameter.Parameter.ContainingSymbol, scope.ContainingLambda))
                {
                    // The attempt number grows; any other provider argument (outcome, context) is per call.
                    return SymbolEqualityComparer.Default.Equals(parameter.Parameter, scope.AttemptSymbol)
                        ? new DelayClass(DelayKind.Growing, null)
                        : DelayClass.Unknown;
                }

                if (scope.Parameters is { } passed && scope.WrittenBetweenAttempts(parameter.Parameter) is null)
                {
                    // A wait helper's parameter: what the retry loops pass for it (the attempt grows, a constant does not).
                    return passed.TryGetValue(parameter.Parameter, out var argument) ? argument : DelayClass.Unknown;
                }

                return ClassifyVariable(parameter.Parameter, operation, scope, symbols, depth);
            case IFieldReferenceOperation { Field: { IsStatic: true, Name: "Zero" } zero } when SymbolEqualityComparer.Default.Equals(zero.ContainingType, symbols.TimeSpan):
                return new DelayClass(DelayKind.Constant, DelayEvaluator.Evaluate(operation, symbols));
            case IFieldReferenceOperation field:
                if (symbols.IsRandomSource(field.Type))
                {
                    return new DelayClass(DelayKind.Jittered, null);
                }

                return field.Field.IsStatic || field.Instance is null or IInstanceReferenceOperation
                    ? ClassifyVariable(field.Field, operation, scope, symbols, depth)
                    : ClassifyVariable(field.Field, operation, scope, symbols, depth).CombineWith(Classify(field.Instance, scope, symbols, depth + 1));
            case IPropertyReferenceOperation property:
                return ClassifyProperty(property, scope, symbols, depth);
            default:
                return DelayClass.Unknown;
        }
    }

    private static DelayClass ClassifyBinary(IBinaryOperation binary, AttemptScope scope, RetrySymbols symbols, int depth)
    {
        var left = Classify(binary.LeftOperand, scope, symbols, depth + 1);
        var right = Classify(binary.RightOperand, scope, symbols, depth + 1);
        var combined = left.CombineWith(right);
        if (combined.Kind != DelayKind.Growing)
        {
            return combined;
        }

        // Only operators that keep "grows with the attempt" true: k * n, n + k, 1 << n, n / k. Not k - n, k / n, n % k.
        return binary.OperatorKind switch
        {
            BinaryOperatorKind.Add or BinaryOperatorKind.Multiply or BinaryOperatorKind.LeftShift => combined,
            BinaryOperatorKind.Subtract or BinaryOperatorKind.Divide or BinaryOperatorKind.RightShift when right.Kind == DelayKind.Constant => combined,
            _ => DelayClass.Unknown,
        };
    }

    // delays[attempt - 1] over a fixed array of non-decreasing constants: a lookup that grows.
    private static DelayClass ClassifyArrayLookup(IArrayElementReferenceOperation element, AttemptScope scope, RetrySymbols symbols, int depth)
    {
        if (element.Indices.Length != 1 ||
            Classify(element.Indices[0], scope, symbols, depth + 1).Kind != DelayKind.Growing ||
            ArrayInitializer(element.ArrayReference) is not { ElementValues.Length: >= 2 } initializer)
        {
            return DelayClass.Unknown;
        }

        var constantScope = new AttemptScope(initializer, attemptSymbol: null, containingLambda: null);
        double? previous = null;
        var grows = false;
        foreach (var value in initializer.ElementValues)
        {
            if (Classify(value, constantScope, symbols, depth + 1).Kind != DelayKind.Constant ||
                DelayEvaluator.Evaluate(value, symbols) is not { } current ||
                (previous is { } before && current < before))
            {
                return DelayClass.Unknown;
            }

            grows |= previous is { } last && current > last;
            previous = current;
        }

        return grows ? new DelayClass(DelayKind.Growing, null) : new DelayClass(DelayKind.Constant, previous);
    }

    /// <summary>The initializer of a local or a <c>readonly</c> field (declared in the same file) that holds an array.</summary>
    public static IArrayInitializerOperation? ArrayInitializer(IOperation array)
    {
        IOperation? value = null;
        switch (array.WithoutConversions())
        {
            case ILocalReferenceOperation local:
                value = MemberIndex.For(array).Initializer(local.Local);
                break;
            case IFieldReferenceOperation { Field: { IsReadOnly: true } field } when array.SemanticModel is { } model:
                foreach (var reference in field.DeclaringSyntaxReferences)
                {
                    if (reference.SyntaxTree == model.SyntaxTree &&
                        reference.GetSyntax() is VariableDeclaratorSyntax { Initializer: { } equals } &&
                        model.GetOperation(equals) is IFieldInitializerOperation initializer)
                    {
                        value = initializer.Value;
                    }
                }

                break;
        }

        return value?.WithoutConversions() switch
        {
            IArrayCreationOperation creation => creation.Initializer,
            _ => null,
        };
    }

    private static DelayClass ClassifyProperty(IPropertyReferenceOperation property, AttemptScope scope, RetrySymbols symbols, int depth)
    {
        if (symbols.IsRandomSource(property.Type))
        {
            return new DelayClass(DelayKind.Jittered, null); // Random.Shared
        }

        if (property.Property.IsStatic || property.Instance is null || property.Arguments.Length > 0)
        {
            // DateTime.UtcNow, Environment.TickCount, indexers: not a fixed delay we can vouch for.
            return DelayClass.Unknown;
        }

        var written = scope.WrittenBetweenAttempts(property.Property);
        if (written is not null)
        {
            return written.Value ? new DelayClass(DelayKind.Growing, null) : DelayClass.Unknown;
        }

        // _options.RetryDelay: fixed as long as the object it is read from is.
        var receiver = property.Instance is IInstanceReferenceOperation
            ? DelayClass.ConstantUnknownValue
            : Classify(property.Instance, scope, symbols, depth + 1);
        return receiver.Kind == DelayKind.Constant ? DelayClass.ConstantUnknownValue : receiver.CombineWith(DelayClass.Unknown);
    }

    private static DelayClass ClassifyInvocation(IInvocationOperation invocation, AttemptScope scope, RetrySymbols symbols, int depth)
    {
        var method = invocation.TargetMethod;
        if (symbols.IsRandomSource(method.ContainingType) || (invocation.Instance is not null && symbols.IsRandomSource(invocation.Instance.Type)))
        {
            return new DelayClass(DelayKind.Jittered, null);
        }

        if (SymbolEqualityComparer.Default.Equals(method.ContainingType, symbols.TimeSpan) && method.IsStatic && invocation.Arguments.Length >= 1)
        {
            if (DelayEvaluator.TimeSpanFactor(method.Name) is null)
            {
                return DelayClass.Unknown;
            }

            var argument = CombineAll(invocation.Arguments, scope, symbols, depth);
            return argument.Kind == DelayKind.Constant ? new DelayClass(DelayKind.Constant, DelayEvaluator.Evaluate(invocation, symbols)) : argument;
        }

        if (SymbolEqualityComparer.Default.Equals(method.ContainingType, symbols.Math))
        {
            if (method.Name == "Pow" && invocation.Arguments.Length == 2 &&
                DelayEvaluator.Evaluate(invocation.Arguments[0].Value, symbols) is not > 1)
            {
                return DelayClass.Unknown; // Math.Pow(0.5, attempt) shrinks
            }

            // Math.Pow(2, attempt), Math.Min(delay, cap): the class of the arguments.
            var combined = CombineAll(invocation.Arguments, scope, symbols, depth);
            return combined.Kind == DelayKind.Constant ? DelayClass.ConstantUnknownValue : combined;
        }

        // A call into other code: its result may differ per call.
        return DelayClass.Unknown;
    }

    private static DelayClass ClassifyVariable(ISymbol symbol, IOperation reference, AttemptScope scope, RetrySymbols symbols, int depth)
    {
        if (SymbolEqualityComparer.Default.Equals(symbol, scope.AttemptSymbol))
        {
            return new DelayClass(DelayKind.Growing, null);
        }

        var written = scope.WrittenBetweenAttempts(symbol);
        if (written is not null)
        {
            return written.Value ? new DelayClass(DelayKind.Growing, null) : DelayClass.Unknown;
        }

        if (symbol is ILocalSymbol local)
        {
            // Read the local's initializer, wherever it is declared (inside the loop or before it).
            var initializer = MemberIndex.For(reference).Initializer(local);
            return initializer is null ? DelayClass.Unknown : Classify(initializer, scope, symbols, depth + 1);
        }

        // Parameters, fields and properties not written between attempts are the same for every attempt.
        return DelayClass.ConstantUnknownValue;
    }

    private static DelayClass CombineAll(System.Collections.Immutable.ImmutableArray<IArgumentOperation> arguments, AttemptScope scope, RetrySymbols symbols, int depth)
    {
        var result = DelayClass.ConstantUnknownValue;
        foreach (var argument in arguments)
        {
            if (argument.ArgumentKind == ArgumentKind.DefaultValue)
            {
                continue;
            }

            result = result.CombineWith(Classify(argument.Value, scope, symbols, depth + 1));
        }

        return result;
    }
}
