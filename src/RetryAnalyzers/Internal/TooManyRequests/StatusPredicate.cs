using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>Three-valued truth: what a predicate answers for one status code, when that can be read from its code.</summary>
internal enum Truth
{
    Unknown,
    False,
    True,
}

/// <summary>
/// Evaluates a retry predicate for one HTTP status: "given a failed call whose response (or exception) carries status
/// <c>S</c>, does this predicate answer true?". It reads what code states outright — comparisons and patterns on a
/// <c>StatusCode</c> / <c>Status</c> property, <c>IsSuccessStatusCode</c>, <c>&amp;&amp;</c>/<c>||</c>/<c>!</c>, switch
/// expressions and their arms, Polly's <c>PredicateResult.True()</c>/<c>False()</c>, <c>ValueTask.FromResult</c>, a
/// <c>PredicateBuilder</c> chain, <c>HttpClientResiliencePredicates.IsTransient</c> — and answers
/// <see cref="Truth.Unknown"/> for anything else (a helper method, a collection lookup, a flag), so a caller can stay quiet.
/// The outcome is a result, not an exception: <c>Outcome.Exception</c> is null, <c>Handle&lt;TException&gt;</c> does not match.
/// </summary>
internal static class StatusPredicate
{
    /// <summary>The statuses that count as "server errors a retry handles": one of them taken is enough.</summary>
    public static readonly int[] ServerErrors = { 500, 502, 503, 504 };

    public const int TooManyRequests = 429;

    private static readonly object Unknown = new();
    private static readonly object Null = new();
    private static readonly object Response = new();

    /// <summary>What <paramref name="predicate"/> (a lambda, a delegate, a condition, a builder chain) answers for <paramref name="status"/>.</summary>
    public static Truth At(IOperation predicate, int status) => ToTruth(new Evaluation(status).Eval(predicate));

    /// <summary>
    /// True when the predicate may take one of <see cref="ServerErrors"/>: for one of them it is not known to answer false
    /// (<c>status &gt;= 500 &amp;&amp; attempt &lt; max</c> may, <c>status == 404</c> does not).
    /// </summary>
    public static bool MayTakeServerErrors(IOperation predicate) => Array.Exists(ServerErrors, status => At(predicate, status) != Truth.False);

    /// <summary>
    /// The smallest part of <paramref name="check"/>, through <c>&amp;&amp;</c> and <c>||</c> only (where a part's answer
    /// carries to the whole), that answers <paramref name="at429"/> for 429 and the opposite for a server error: the part
    /// to report and to change. The whole check when no part does.
    /// </summary>
    public static IOperation Narrow(IOperation check, Truth at429)
    {
        while (check is IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } binary)
        {
            if (Decides(binary.LeftOperand, at429))
            {
                check = binary.LeftOperand;
            }
            else if (Decides(binary.RightOperand, at429))
            {
                check = binary.RightOperand;
            }
            else
            {
                break;
            }
        }

        return check;
    }

    private static bool Decides(IOperation part, Truth at429)
        => At(part, TooManyRequests) == at429 && Array.Exists(ServerErrors, status => At(part, status) == Not(at429));

    /// <summary>True when the code names 429 anywhere (a deliberate choice about throttling, whatever it is).</summary>
    public static bool Mentions429(IOperation operation)
    {
        foreach (var descendant in operation.DescendantsAndSelf())
        {
            if (descendant.ConstantValue is { HasValue: true, Value: int code } && code == TooManyRequests &&
                descendant.Type?.Name is "HttpStatusCode" or "Int32")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first <c>StatusCode</c>/<c>Status</c> read in <paramref name="condition"/>, as the expression to compare (for fixes).</summary>
    public static IOperation? StatusRead(IOperation condition)
    {
        foreach (var operation in condition.DescendantsAndSelf())
        {
            if (operation is IPropertyReferenceOperation reference && IsStatusProperty(reference.Property))
            {
                return reference.Parent is IConditionalAccessOperation access && access.WhenNotNull == reference ? access : reference;
            }
        }

        return null;
    }

    /// <summary>A <c>StatusCode</c> or <c>Status</c> property typed <c>HttpStatusCode</c>(<c>?</c>) or <c>int</c>(<c>?</c>).</summary>
    public static bool IsStatusProperty(IPropertySymbol property)
        => property.Name is "StatusCode" or "Status" && Underlying(property.Type) is { } type &&
           (type.Name == "HttpStatusCode" || type.SpecialType == SpecialType.System_Int32);

    private static ITypeSymbol? Underlying(ITypeSymbol type)
        => type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T, TypeArguments.Length: 1 } nullable ? nullable.TypeArguments[0] : type;

    /// <summary>The value a lambda returns when its body is that one <c>return</c> (expression-bodied lambdas included).</summary>
    public static IOperation? ReturnedValue(IAnonymousFunctionOperation lambda)
        => lambda.Body.Operations.Length == 1 && lambda.Body.Operations[0] is IReturnOperation { ReturnedValue: { } returned } ? returned : null;

    private static Truth ToTruth(object value) => value switch
    {
        true => Truth.True,
        false => Truth.False,
        _ => Truth.Unknown,
    };

    private static object FromTruth(Truth truth) => truth switch
    {
        Truth.True => true,
        Truth.False => false,
        _ => Unknown,
    };

    private static Truth Not(Truth value) => value switch
    {
        Truth.True => Truth.False,
        Truth.False => Truth.True,
        _ => Truth.Unknown,
    };

    private static Truth And(Truth left, Truth right)
        => left == Truth.False || right == Truth.False ? Truth.False : left == Truth.True && right == Truth.True ? Truth.True : Truth.Unknown;

    private static Truth Or(Truth left, Truth right)
        => left == Truth.True || right == Truth.True ? Truth.True : left == Truth.False && right == Truth.False ? Truth.False : Truth.Unknown;

    private sealed class Evaluation
    {
        private readonly int status;
        private object conditionalInstance = Unknown;
        private int depth;

        public Evaluation(int status) => this.status = status;

        public object Eval(IOperation operation)
        {
            if (operation.ConstantValue.HasValue)
            {
                return operation.ConstantValue.Value switch
                {
                    null => Null,
                    bool flag => flag,
                    int number => number,
                    _ => Unknown,
                };
            }

            switch (operation)
            {
                case IConversionOperation conversion:
                    return Eval(conversion.Operand);
                case IDelegateCreationOperation creation:
                    return Eval(creation.Target);
                case IAnonymousFunctionOperation lambda:
                    return ReturnedValue(lambda) is { } returned ? Eval(returned) : Unknown;
                case ILocalReferenceOperation { Local: var local } when IsValue(local.Type):
                    // var status = (int)response.StatusCode; … status >= 500: the value the local is declared with.
                    return LocalInitializers.Find(local, operation) is { } initial && depth++ < 4 ? Eval(initial) : Unknown;
                case IParameterReferenceOperation or ILocalReferenceOperation:
                    return IsValue(operation.Type) ? Unknown : Response;
                case IConditionalAccessOperation access:
                    var instance = Eval(access.Operation);
                    if (instance == Null)
                    {
                        return Null;
                    }

                    var saved = conditionalInstance;
                    conditionalInstance = instance;
                    var result = Eval(access.WhenNotNull);
                    conditionalInstance = saved;
                    return result;
                case IConditionalAccessInstanceOperation:
                    return conditionalInstance;
                case IPropertyReferenceOperation property:
                    return Member(property.Property, property.Instance is null ? Unknown : Eval(property.Instance));
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                    return FromTruth(Not(ToTruth(Eval(not.Operand))));
                case IBinaryOperation binary:
                    return Binary(binary);
                case IIsPatternOperation isPattern:
                    return FromTruth(Match(isPattern.Pattern, Eval(isPattern.Value)));
                case IIsTypeOperation isType:
                    return Eval(isType.ValueOperand) == Null ? false : Unknown;
                case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                    return ToTruth(Eval(conditional.Condition)) switch
                    {
                        Truth.True => Eval(conditional.WhenTrue),
                        Truth.False => Eval(whenFalse),
                        _ => Unknown,
                    };
                case ISwitchExpressionOperation switchExpression:
                    return Switch(switchExpression);
                case IInvocationOperation invocation:
                    return Invocation(invocation);
                case IObjectCreationOperation { Type.Name: "PredicateBuilder" }:
                    return false; // an empty builder takes nothing
                case IObjectCreationOperation { Type.Name: "ValueTask", Arguments.Length: 1 } creation:
                    return Eval(creation.Arguments[0].Value);
                default:
                    return Unknown;
            }
        }

        // The members of a failed call's response, Polly outcome or HTTP exception that tell its status.
        private object Member(IPropertySymbol property, object instance)
        {
            if (instance == Null)
            {
                return Null;
            }

            if (IsStatusProperty(property))
            {
                return status;
            }

            return property.Name switch
            {
                "IsSuccessStatusCode" => status is >= 200 and <= 299,
                "Exception" when property.ContainingType.Name == "Outcome" => Null,
                "Result" when property.ContainingType.Name == "Outcome" => Response,
                "Outcome" => Response,
                _ => Unknown,
            };
        }

        private object Binary(IBinaryOperation binary)
        {
            if (binary.OperatorKind is BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr)
            {
                var left = ToTruth(Eval(binary.LeftOperand));
                var right = ToTruth(Eval(binary.RightOperand));
                return FromTruth(binary.OperatorKind == BinaryOperatorKind.ConditionalAnd ? And(left, right) : Or(left, right));
            }

            return FromTruth(Compare(binary.OperatorKind, Eval(binary.LeftOperand), Eval(binary.RightOperand)));
        }

        private static Truth Compare(BinaryOperatorKind kind, object left, object right)
        {
            if (left is int l && right is int r)
            {
                return ToTruth(kind switch
                {
                    BinaryOperatorKind.Equals => l == r,
                    BinaryOperatorKind.NotEquals => l != r,
                    BinaryOperatorKind.LessThan => l < r,
                    BinaryOperatorKind.LessThanOrEqual => l <= r,
                    BinaryOperatorKind.GreaterThan => l > r,
                    BinaryOperatorKind.GreaterThanOrEqual => l >= r,
                    _ => Unknown,
                });
            }

            if (left is bool lb && right is bool rb)
            {
                return kind switch
                {
                    BinaryOperatorKind.Equals => lb == rb ? Truth.True : Truth.False,
                    BinaryOperatorKind.NotEquals => lb != rb ? Truth.True : Truth.False,
                    _ => Truth.Unknown,
                };
            }

            // A lifted comparison with a null status (no response): == and relational operators are false, != is true.
            if ((left == Null && right is int) || (left is int && right == Null))
            {
                return kind == BinaryOperatorKind.NotEquals ? Truth.True : Truth.False;
            }

            return Truth.Unknown;
        }

        private Truth Match(IPatternOperation pattern, object value)
        {
            switch (pattern)
            {
                case IConstantPatternOperation constant:
                    var expected = Eval(constant.Value);
                    return expected == Null ? (value == Null ? Truth.True : value is int or bool || value == Response ? Truth.False : Truth.Unknown)
                        : Compare(BinaryOperatorKind.Equals, value, expected);
                case IRelationalPatternOperation relational:
                    return Compare(relational.OperatorKind, value, Eval(relational.Value));
                case INegatedPatternOperation negated:
                    return Not(Match(negated.Pattern, value));
                case IBinaryPatternOperation binary:
                    var left = Match(binary.LeftPattern, value);
                    var right = Match(binary.RightPattern, value);
                    return binary.OperatorKind == BinaryOperatorKind.Or ? Or(left, right) : And(left, right);
                case IDiscardPatternOperation:
                    return Truth.True;
                case IDeclarationPatternOperation { MatchesNull: true }:
                    return Truth.True;
                case IDeclarationPatternOperation or ITypePatternOperation:
                    // { Result: HttpResponseMessage response }: a response is one; null is nothing.
                    var type = (pattern as IDeclarationPatternOperation)?.MatchedType ?? (pattern as ITypePatternOperation)?.MatchedType;
                    return value == Null ? Truth.False : value == Response && type?.Name == "HttpResponseMessage" ? Truth.True : Truth.Unknown;
                case IRecursivePatternOperation recursive:
                    if (value == Null)
                    {
                        return Truth.False;
                    }

                    var matched = recursive.DeconstructionSubpatterns.IsEmpty ? Truth.True : Truth.Unknown;
                    foreach (var subpattern in recursive.PropertySubpatterns)
                    {
                        var member = subpattern.Member is IPropertyReferenceOperation { Property: var property } ? Member(property, value) : Unknown;
                        matched = And(matched, Match(subpattern.Pattern, member));
                    }

                    return matched;
                default:
                    return Truth.Unknown;
            }
        }

        private object Switch(ISwitchExpressionOperation switchExpression)
        {
            var value = Eval(switchExpression.Value);
            foreach (var arm in switchExpression.Arms)
            {
                var matched = Match(arm.Pattern, value);
                if (matched == Truth.True && arm.Guard is { } guard)
                {
                    matched = ToTruth(Eval(guard));
                }

                switch (matched)
                {
                    case Truth.True:
                        return Eval(arm.Value);
                    case Truth.Unknown:
                        return Unknown;
                }
            }

            return Unknown;
        }

        private object Invocation(IInvocationOperation invocation)
        {
            var method = invocation.TargetMethod;
            switch (method.ContainingType?.Name)
            {
                case "PredicateResult" when invocation.Arguments.IsEmpty:
                    return method.Name switch
                    {
                        "True" => true,
                        "False" => false,
                        _ => Unknown,
                    };
                case "ValueTask" or "Task" when method.Name == "FromResult" && invocation.Arguments.Length == 1:
                    return Eval(invocation.Arguments[0].Value);
                case "HttpClientResiliencePredicates" when method.Name == "IsTransient":
                    return status == TooManyRequests || status == 408 || status >= 500;
                case "PredicateBuilder" when invocation.Instance is { } builder:
                    // builder.Handle<TException>() / .HandleResult(r => …): the outcome is a result, so only HandleResult(predicate) can take it.
                    var earlier = ToTruth(Eval(builder));
                    var added = method.Name switch
                    {
                        "Handle" or "HandleInner" => Truth.False,
                        "HandleResult" when invocation.Arguments.Length == 1 && invocation.Arguments[0].Value.Type?.TypeKind == TypeKind.Delegate
                            => ToTruth(Eval(invocation.Arguments[0].Value)),
                        _ => Truth.Unknown,
                    };
                    return FromTruth(Or(earlier, added));
                default:
                    return Unknown;
            }
        }

        private static bool IsValue(ITypeSymbol? type) => type is null || type.IsValueType;
    }
}
