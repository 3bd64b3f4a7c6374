using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// Computes the value of a delay expression for given values of its attempt variables (<c>Math.Pow(2, attempt)</c> at
/// attempt 1 is 2), so a fix can keep the user's first delay and cap. A <see cref="TimeSpan"/> value is in milliseconds,
/// a number is itself. Anything it cannot compute exactly gives null; arithmetic is in doubles, so a large attempt
/// does not overflow.
/// </summary>
internal static class DelayEvaluator
{
    private const int MaxDepth = 12;

    public static double? Evaluate(IOperation operation, IReadOnlyDictionary<ISymbol, double> bindings)
        => Evaluate(operation, bindings, depth: 0);

    private static double? Evaluate(IOperation operation, IReadOnlyDictionary<ISymbol, double> bindings, int depth)
    {
        if (depth > MaxDepth)
        {
            return null;
        }

        var symbol = AttemptScope.ReferencedSymbol(operation);
        if (symbol is not null && bindings.TryGetValue(symbol, out var bound))
        {
            return bound;
        }

        if (operation.ConstantValue is { HasValue: true, Value: var constant })
        {
            return constant switch
            {
                bool b => b ? 1 : 0,
                IConvertible convertible and not string => convertible.ToDouble(System.Globalization.CultureInfo.InvariantCulture),
                _ => null,
            };
        }

        switch (operation)
        {
            case IConversionOperation conversion:
                return Evaluate(conversion.Operand, bindings, depth + 1);
            case IParenthesizedOperation parenthesized:
                return Evaluate(parenthesized.Operand, bindings, depth + 1);
            case IBinaryOperation binary:
                var result = Binary(binary.OperatorKind, Evaluate(binary.LeftOperand, bindings, depth + 1), Evaluate(binary.RightOperand, bindings, depth + 1));
                return binary.OperatorKind == BinaryOperatorKind.Divide && binary.Type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64
                    ? result is { } quotient ? Math.Truncate(quotient) : null
                    : result;
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                return Evaluate(conditional.Condition, bindings, depth + 1) is { } condition
                    ? Evaluate(condition != 0 ? conditional.WhenTrue : whenFalse, bindings, depth + 1)
                    : null;
            case IInvocationOperation invocation:
                return Invocation(invocation, bindings, depth);
            case IPropertyReferenceOperation { Instance: { } instance } property when KnownSymbols.Is(property.Property.ContainingType, operation.SemanticModel?.Compilation, KnownTypes.TimeSpan):
                return Evaluate(instance, bindings, depth + 1) is { } ms
                    ? property.Property.Name switch
                    {
                        "Ticks" => ms * 10_000,
                        "TotalMilliseconds" => ms,
                        "TotalSeconds" => ms / 1_000,
                        _ => null,
                    }
                    : null;
            case IFieldReferenceOperation { Field: { IsStatic: true, Name: "Zero" } field } when KnownSymbols.Is(field.ContainingType, operation.SemanticModel?.Compilation, KnownTypes.TimeSpan):
                return 0;
            case IArrayElementReferenceOperation { Indices.Length: 1 } element:
                return Evaluate(element.Indices[0], bindings, depth + 1) is { } index &&
                       DelayClassifier.ArrayInitializer(element.ArrayReference) is { } initializer &&
                       index >= 0 && index < initializer.ElementValues.Length && index == Math.Floor(index)
                    ? Evaluate(initializer.ElementValues[(int)index], bindings, depth + 1)
                    : null;
            case ILocalReferenceOperation local when LocalInitializers.Find(local.Local, operation) is { } localInitializer:
                return Evaluate(localInitializer, bindings, depth + 1);
            default:
                return null;
        }
    }

    private static double? Invocation(IInvocationOperation invocation, IReadOnlyDictionary<ISymbol, double> bindings, int depth)
    {
        var method = invocation.TargetMethod;
        var arguments = new double[invocation.Arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            if (Evaluate(invocation.Arguments[i].Value, bindings, depth + 1) is not { } value)
            {
                return null;
            }

            arguments[i] = value;
        }

        if (!method.IsStatic || arguments.Length == 0)
        {
            return null;
        }

        switch (method.ContainingType.Name, method.Name, arguments.Length)
        {
            case ("TimeSpan", "FromTicks", 1):
                return arguments[0] / 10_000;
            case ("TimeSpan", "FromMilliseconds", 1):
                return arguments[0];
            case ("TimeSpan", "FromSeconds", 1):
                return arguments[0] * 1_000;
            case ("TimeSpan", "FromMinutes", 1):
                return arguments[0] * 60_000;
            case ("TimeSpan", "FromHours", 1):
                return arguments[0] * 3_600_000;
            case ("TimeSpan", "FromDays", 1):
                return arguments[0] * 86_400_000;
            case ("Math", "Pow", 2):
                return Math.Pow(arguments[0], arguments[1]);
            case ("Math", "Min", 2):
                return Math.Min(arguments[0], arguments[1]);
            case ("Math", "Max", 2):
                return Math.Max(arguments[0], arguments[1]);
            case ("Math", "Abs", 1):
                return Math.Abs(arguments[0]);
            default:
                return null;
        }
    }

    private static double? Binary(BinaryOperatorKind kind, double? left, double? right)
    {
        if (left is not { } l || right is not { } r)
        {
            return null;
        }

        return kind switch
        {
            BinaryOperatorKind.Add => l + r,
            BinaryOperatorKind.Subtract => l - r,
            BinaryOperatorKind.Multiply => l * r,
            BinaryOperatorKind.Divide when r != 0 => l / r,
            BinaryOperatorKind.LeftShift => l * Math.Pow(2, r),
            BinaryOperatorKind.RightShift => Math.Floor(l / Math.Pow(2, r)),
            BinaryOperatorKind.LessThan => l < r ? 1 : 0,
            BinaryOperatorKind.LessThanOrEqual => l <= r ? 1 : 0,
            BinaryOperatorKind.GreaterThan => l > r ? 1 : 0,
            BinaryOperatorKind.GreaterThanOrEqual => l >= r ? 1 : 0,
            _ => null,
        };
    }
}
