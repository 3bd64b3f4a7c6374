using System;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// The one engine that values delays, for the analyzer (the delay in a message, equal or non-decreasing delay lists) and
/// for the fixes (the first delay and cap to keep): the value of a delay expression for given values of its attempt
/// variables (<c>Math.Pow(2, attempt)</c> at attempt 1 is 2). A <see cref="TimeSpan"/> value is in milliseconds, a number
/// is itself. Types and methods are recognised by symbol (<see cref="RetrySymbols"/>), never by name. Anything it cannot
/// compute exactly gives null; arithmetic is in doubles, so a large attempt does not overflow.
/// </summary>
internal static class DelayEvaluator
{
    private const int MaxDepth = 12;

    private static readonly Dictionary<ISymbol, double> NoBindings = new(SymbolEqualityComparer.Default);

    /// <summary>The value of a delay with no attempt variables bound (a constant delay), or null.</summary>
    public static double? Evaluate(IOperation operation, RetrySymbols symbols)
        => Evaluate(operation, NoBindings, symbols, depth: 0);

    public static double? Evaluate(IOperation operation, IReadOnlyDictionary<ISymbol, double> bindings, RetrySymbols symbols)
        => Evaluate(operation, bindings, symbols, depth: 0);

    private static double? Evaluate(IOperation operation, IReadOnlyDictionary<ISymbol, double> bindings, RetrySymbols symbols, int depth)
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
                char c => c, // IConvertible.ToDouble throws for a char
                IConvertible convertible and not string => convertible.ToDouble(System.Globalization.CultureInfo.InvariantCulture),
                _ => null,
            };
        }

        switch (operation)
        {
            case IConversionOperation conversion:
                // (int)Math.Pow(1.5, n): a cast to an integer truncates.
                var converted = Evaluate(conversion.Operand, bindings, symbols, depth + 1);
                return converted is { } number && IsInteger(conversion.Type) && !IsInteger(conversion.Operand.Type) ? Math.Truncate(number) : converted;
            case IParenthesizedOperation parenthesized:
                return Evaluate(parenthesized.Operand, bindings, symbols, depth + 1);
            case IBinaryOperation binary:
                var result = Binary(binary.OperatorKind, Evaluate(binary.LeftOperand, bindings, symbols, depth + 1), Evaluate(binary.RightOperand, bindings, symbols, depth + 1));
                return binary.OperatorKind == BinaryOperatorKind.Divide && binary.Type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64
                    ? result is { } quotient ? Math.Truncate(quotient) : null
                    : result;
            case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                return Evaluate(conditional.Condition, bindings, symbols, depth + 1) is { } condition
                    ? Evaluate(condition != 0 ? conditional.WhenTrue : whenFalse, bindings, symbols, depth + 1)
                    : null;
            case IInvocationOperation invocation:
                return Invocation(invocation, bindings, symbols, depth);
            case IPropertyReferenceOperation { Instance: { } instance } property when SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, symbols.TimeSpan):
                return Evaluate(instance, bindings, symbols, depth + 1) is { } ms
                    ? property.Property.Name switch
                    {
                        "Ticks" => ms * 10_000,
                        "TotalMilliseconds" => ms,
                        "TotalSeconds" => ms / 1_000,
                        _ => null,
                    }
                    : null;
            case IFieldReferenceOperation { Field: { IsStatic: true, Name: "Zero" } field } when SymbolEqualityComparer.Default.Equals(field.ContainingType, symbols.TimeSpan):
                return 0;
            case IArrayElementReferenceOperation { Indices.Length: 1 } element:
                return Evaluate(element.Indices[0], bindings, symbols, depth + 1) is { } index &&
                       DelayClassifier.ArrayInitializer(element.ArrayReference) is { } initializer &&
                       index >= 0 && index < initializer.ElementValues.Length && index == Math.Floor(index)
                    ? Evaluate(initializer.ElementValues[(int)index], bindings, symbols, depth + 1)
                    : null;
            case ILocalReferenceOperation local when MemberIndex.For(operation) is var members && !members.IsWritten(local.Local) && members.Initializer(local.Local) is { } localInitializer:
                // Only a local that keeps the value it is declared with.
                return Evaluate(localInitializer, bindings, symbols, depth + 1);
            default:
                return null;
        }
    }

    private static double? Invocation(IInvocationOperation invocation, IReadOnlyDictionary<ISymbol, double> bindings, RetrySymbols symbols, int depth)
    {
        var method = invocation.TargetMethod;
        var arguments = new double[invocation.Arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            if (Evaluate(invocation.Arguments[i].Value, bindings, symbols, depth + 1) is not { } value)
            {
                return null;
            }

            arguments[i] = value;
        }

        if (!method.IsStatic || arguments.Length == 0)
        {
            return null;
        }

        if (SymbolEqualityComparer.Default.Equals(method.ContainingType, symbols.TimeSpan) && arguments.Length == 1)
        {
            return TimeSpanFactor(method.Name) is { } factor ? arguments[0] * factor : null;
        }

        if (!SymbolEqualityComparer.Default.Equals(method.ContainingType, symbols.Math))
        {
            return null;
        }

        switch (method.Name, arguments.Length)
        {
            case ("Pow", 2):
                return Math.Pow(arguments[0], arguments[1]);
            case ("Min", 2):
                return Math.Min(arguments[0], arguments[1]);
            case ("Max", 2):
                return Math.Max(arguments[0], arguments[1]);
            case ("Abs", 1):
                return Math.Abs(arguments[0]);
            default:
                return null;
        }
    }

    /// <summary>Milliseconds per unit of a <c>TimeSpan.FromX</c> factory, or null for another method.</summary>
    public static double? TimeSpanFactor(string method) => method switch
    {
        "FromTicks" => 1.0 / 10_000,
        "FromMilliseconds" => 1.0,
        "FromSeconds" => 1_000.0,
        "FromMinutes" => 60_000.0,
        "FromHours" => 3_600_000.0,
        "FromDays" => 86_400_000.0,
        _ => null,
    };

    private static bool IsInteger(ITypeSymbol? type) => type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or
        SpecialType.System_Int16 or SpecialType.System_UInt32 or SpecialType.System_UInt64 or SpecialType.System_UInt16 or SpecialType.System_Byte or SpecialType.System_SByte;

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
