using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// Whether a retry predicate (a Polly v8 <c>ShouldHandle</c> value, a <c>PredicateBuilder</c> chain) takes a 429. Only
/// what certainly does: <c>StatusCode == HttpStatusCode.TooManyRequests</c> / <c>(int)StatusCode == 429</c>, a 429
/// constant pattern that is not negated (<c>is HttpStatusCode.TooManyRequests</c>, <c>{ StatusCode: … }</c>, a switch
/// arm), <c>!IsSuccessStatusCode</c> / <c>IsSuccessStatusCode == false</c> (every failure, 429 included) and
/// <c>HttpClientResiliencePredicates.IsTransient</c> (429 is transient there). Anything else — a method group, an
/// opaque helper, a <c>!=</c> — is not known to take 429.
/// </summary>
internal static class TooManyRequestsPredicates
{
    private const int TooManyRequests = 429;

    public static bool Takes429(IOperation predicate)
    {
        foreach (var operation in predicate.DescendantsAndSelf())
        {
            switch (operation)
            {
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } equals
                    when (Is429(equals.LeftOperand) && IsStatusCode(equals.RightOperand)) || (Is429(equals.RightOperand) && IsStatusCode(equals.LeftOperand)):
                    return true;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Equals } equals
                    when (IsSuccessStatus(equals.LeftOperand) && IsFalse(equals.RightOperand)) || (IsSuccessStatus(equals.RightOperand) && IsFalse(equals.LeftOperand)):
                    return true;
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not when IsSuccessStatus(not.Operand):
                    return true;
                case IConstantPatternOperation pattern when Is429(pattern.Value) && !UnderNegation(pattern):
                    return true;
                case IConstantPatternOperation { Parent: IPropertySubpatternOperation { Member: IPropertyReferenceOperation { Property.Name: "IsSuccessStatusCode" } } } pattern
                    when IsFalse(pattern.Value) && !UnderNegation(pattern):
                    return true;
                case IInvocationOperation { TargetMethod: { Name: "IsTransient", ContainingType.Name: "HttpClientResiliencePredicates" } }:
                    return true;
            }
        }

        return false;
    }

    private static bool Is429(IOperation value)
        => value.WithoutConversions().ConstantValue is { HasValue: true, Value: int code } && code == TooManyRequests;

    private static bool IsFalse(IOperation value) => value.WithoutConversions().ConstantValue is { HasValue: true, Value: false };

    private static bool IsStatusCode(IOperation value) => Property(value) is { Name: "StatusCode" or "Status" };

    private static bool IsSuccessStatus(IOperation value) => Property(value) is { Name: "IsSuccessStatusCode" };

    /// <summary>The property read by <c>r.P</c>, <c>r?.P</c>, <c>(int)r.P</c>.</summary>
    private static IPropertySymbol? Property(IOperation value)
    {
        value = value.WithoutConversions();
        while (value is IConditionalAccessOperation conditional)
        {
            value = conditional.WhenNotNull.WithoutConversions();
        }

        return (value as IPropertyReferenceOperation)?.Property;
    }

    private static bool UnderNegation(IOperation pattern)
    {
        for (var current = pattern.Parent; current is IPatternOperation; current = current.Parent)
        {
            if (current is INegatedPatternOperation)
            {
                return true;
            }
        }

        return false;
    }
}
