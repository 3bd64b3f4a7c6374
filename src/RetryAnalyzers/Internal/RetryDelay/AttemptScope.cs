using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// The part of the code in which one retry attempt follows another: a retry loop, the body of a Polly v7
/// sleep-duration provider, or a wait helper a retry loop calls. Symbols written inside it, and the attempt symbol
/// itself, change between attempts; a helper's parameters are what its retry callers pass.
/// </summary>
internal sealed class AttemptScope
{
    private readonly Dictionary<ISymbol, bool> _written;

    public AttemptScope(IOperation region, ISymbol? attemptSymbol, ISymbol? containingLambda, IReadOnlyDictionary<IParameterSymbol, DelayClass>? parameters = null)
    {
        AttemptSymbol = attemptSymbol;
        ContainingLambda = containingLambda;
        Parameters = parameters;
        _written = MemberIndex.For(region).Written(region, WrittenIn);
    }

    /// <summary>For a wait helper: the class of what its retry callers pass for each parameter.</summary>
    public IReadOnlyDictionary<IParameterSymbol, DelayClass>? Parameters { get; }

    /// <summary>The symbols written in <paramref name="region"/>, each with whether it is written so as to grow.</summary>
    private static Dictionary<ISymbol, bool> WrittenIn(IOperation region)
    {
        var written = new Dictionary<ISymbol, bool>(SymbolEqualityComparer.Default);
        foreach (var operation in region.DescendantsAndSelf())
        {
            switch (operation)
            {
                case ISimpleAssignmentOperation assignment:
                    Record(written, assignment.Target, SelfGrowing(assignment));
                    break;
                case ICompoundAssignmentOperation compound:
                    Record(written, compound.Target, compound.OperatorKind is BinaryOperatorKind.Multiply or BinaryOperatorKind.Add or BinaryOperatorKind.LeftShift);
                    break;
                case IIncrementOrDecrementOperation increment:
                    Record(written, increment.Target, increment.Kind == OperationKind.Increment);
                    break;
                case ICoalesceAssignmentOperation coalesce:
                    Record(written, coalesce.Target, growing: false);
                    break;
                case IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument:
                    Record(written, argument.Value, growing: false);
                    break;
            }
        }

        return written;
    }

    /// <summary>The loop counter or the provider's attempt parameter, when there is one.</summary>
    public ISymbol? AttemptSymbol { get; }

    /// <summary>The sleep-duration lambda whose other parameters (outcome, context) differ per call.</summary>
    public ISymbol? ContainingLambda { get; }

    /// <summary>Null when the symbol is not written between attempts; otherwise whether it is written so as to grow.</summary>
    public bool? WrittenBetweenAttempts(ISymbol symbol) => _written.TryGetValue(symbol, out var growing) ? growing : null;

    private static void Record(Dictionary<ISymbol, bool> written, IOperation target, bool growing)
    {
        var symbol = ReferencedSymbol(target);
        if (symbol is not null)
        {
            written[symbol] = growing || (written.TryGetValue(symbol, out var before) && before);
        }
    }

    // x = x * 2, x = x + x, x = x << 1, x = Math.Min(x * 2, max), x = TimeSpan.FromTicks(x.Ticks * 2)
    private static bool SelfGrowing(ISimpleAssignmentOperation assignment)
    {
        var target = ReferencedSymbol(assignment.Target);
        if (target is null)
        {
            return false;
        }

        var value = assignment.Value.WithoutConversions();
        while (value is IInvocationOperation { TargetMethod: { Name: "Min" or "FromTicks" or "FromMilliseconds", IsStatic: true } } wrapper && wrapper.Arguments.Length >= 1)
        {
            value = wrapper.Arguments[0].Value.WithoutConversions();
        }

        return value is IBinaryOperation { OperatorKind: BinaryOperatorKind.Multiply or BinaryOperatorKind.Add or BinaryOperatorKind.LeftShift } binary &&
               (ReadsSymbol(binary.LeftOperand, target) || ReadsSymbol(binary.RightOperand, target));
    }

    // x, or x.Ticks / x.TotalMilliseconds
    private static bool ReadsSymbol(IOperation operand, ISymbol target)
    {
        var value = operand.WithoutConversions();
        if (value is IPropertyReferenceOperation { Instance: { } instance } property && KnownSymbols.Is(property.Property.ContainingType, operand.SemanticModel?.Compilation, KnownTypes.TimeSpan))
        {
            value = instance.WithoutConversions();
        }

        return SymbolEqualityComparer.Default.Equals(ReferencedSymbol(value), target);
    }

    public static ISymbol? ReferencedSymbol(IOperation operation) => operation switch
    {
        ILocalReferenceOperation local => local.Local,
        IParameterReferenceOperation parameter => parameter.Parameter,
        IFieldReferenceOperation field => field.Field,
        IPropertyReferenceOperation property => property.Property,
        _ => null,
    };
}
