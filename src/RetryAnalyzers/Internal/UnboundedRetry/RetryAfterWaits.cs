using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// Waits taken from a Retry-After header with no cap: the value of <c>HttpResponseHeaders.RetryAfter</c> (<c>.Delta</c>,
/// <c>.Date - now</c>) or of a <c>Retry-After</c> / <c>retry-after-ms</c> header read by name and parsed, followed through
/// locals, <c>out</c> arguments and patterns of one member. A <c>Min</c> / <c>Clamp</c> stops the value; a member that
/// compares such a value with anything but zero, or passes it to <c>Min</c> / <c>Clamp</c>, caps it (on some path at
/// least), and is left alone.
/// </summary>
internal sealed class RetryAfterWaits
{
    private static readonly ConditionalWeakTable<IOperation, RetryAfterWaits> Members = new();

    private readonly HashSet<ILocalSymbol> _fromHeader = new(SymbolEqualityComparer.Default);
    private readonly INamedTypeSymbol? _headers;
    private readonly bool _capped;

    private RetryAfterWaits(IOperation root, INamedTypeSymbol? headers)
    {
        _headers = headers;
        if (!HasHeader(root))
        {
            return;
        }

        // Locals that hold the header's value, to a fixed point (a parse of a local that holds it holds it too).
        for (var pass = 0; pass < 4 && Spread(root); pass++)
        {
        }

        _capped = Caps(root);
    }

    /// <summary>Is <paramref name="wait"/> (a <c>Task.Delay</c> / <c>Thread.Sleep</c> argument) a Retry-After value that nothing caps?</summary>
    public static bool IsUncapped(IOperation wait, INamedTypeSymbol? headers)
    {
        var member = Members.GetValue(wait.Root(), root => new RetryAfterWaits(root, headers));
        return !member._capped && member.FromHeader(wait);
    }

    private bool HasHeader(IOperation root)
    {
        foreach (var operation in root.Descendants())
        {
            if (IsHeader(operation))
            {
                return true;
            }
        }

        return false;
    }

    // response.Headers.RetryAfter; GetValues("Retry-After"), TryGetValues("retry-after-ms", out …), TryGetValue("retry-after", out …)
    private bool IsHeader(IOperation operation) => operation switch
    {
        IPropertyReferenceOperation { Property.Name: "RetryAfter" } property
            => SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, _headers),
        IInvocationOperation invocation => NamesTheHeader(invocation),
        _ => false,
    };

    private static bool NamesTheHeader(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Value.ConstantValue is { HasValue: true, Value: string name } &&
                (name.Equals("Retry-After", StringComparison.OrdinalIgnoreCase) || name.Equals("retry-after-ms", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Does the value come from the header, not through a <c>Min</c> / <c>Clamp</c>?</summary>
    private bool FromHeader(IOperation operation)
    {
        switch (operation)
        {
            case IInvocationOperation { TargetMethod.Name: "Min" or "Clamp" }:
                return false;
            case ILocalReferenceOperation local when _fromHeader.Contains(local.Local):
                return true;
            case IInvocationOperation invocation when NamesTheHeader(invocation):
                return true;
            case IPropertyReferenceOperation when IsHeader(operation):
                return true;
        }

        foreach (var child in operation.ChildOperations)
        {
            if (FromHeader(child))
            {
                return true;
            }
        }

        return false;
    }

    // One pass over the member: locals declared or assigned from the header, out arguments of a call given it, pattern variables of it.
    private bool Spread(IOperation root)
    {
        var added = false;
        foreach (var operation in root.Descendants())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator
                    when (declarator.Initializer?.Value ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer?.Value) is { } value && FromHeader(value):
                    added |= _fromHeader.Add(declarator.Symbol);
                    break;
                case IAssignmentOperation { Target: ILocalReferenceOperation target } assignment when FromHeader(assignment.Value):
                    added |= _fromHeader.Add(target.Local);
                    break;
                case IInvocationOperation invocation when NamesTheHeader(invocation) || (invocation.Instance is { } instance && FromHeader(instance)) || ReadsHeaderArgument(invocation):
                    foreach (var argument in invocation.Arguments)
                    {
                        if (argument.Parameter?.RefKind == RefKind.Out && OutLocal(argument.Value) is { } written)
                        {
                            added |= _fromHeader.Add(written);
                        }
                    }

                    break;
                case IIsPatternOperation isPattern when FromHeader(isPattern.Value):
                    foreach (var declared in isPattern.Pattern.DescendantsAndSelf())
                    {
                        if (declared is IDeclarationPatternOperation { DeclaredSymbol: ILocalSymbol local })
                        {
                            added |= _fromHeader.Add(local);
                        }
                        else if (declared is IRecursivePatternOperation { DeclaredSymbol: ILocalSymbol recursive })
                        {
                            added |= _fromHeader.Add(recursive);
                        }
                    }

                    break;
                case IForEachLoopOperation loop when FromHeader(loop.Collection):
                    foreach (var local in loop.Locals)
                    {
                        added |= _fromHeader.Add(local);
                    }

                    break;
            }
        }

        return added;
    }

    private bool ReadsHeaderArgument(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.RefKind != RefKind.Out && FromHeader(argument.Value))
            {
                return true;
            }
        }

        return false;
    }

    private static ILocalSymbol? OutLocal(IOperation value) => value switch
    {
        IDeclarationExpressionOperation { Expression: ILocalReferenceOperation declared } => declared.Local,
        ILocalReferenceOperation local => local.Local,
        _ => null,
    };

    // A comparison of the header's value with a cap (not with zero), or a Min / Clamp given it, anywhere in the member.
    private bool Caps(IOperation root)
    {
        foreach (var operation in root.Descendants())
        {
            switch (operation)
            {
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual } binary
                    when (FromHeader(binary.LeftOperand) && !IsZero(binary.RightOperand)) || (FromHeader(binary.RightOperand) && !IsZero(binary.LeftOperand)):
                    return true;
                case IRelationalPatternOperation relational when !IsZero(relational.Value) && PatternValue(relational) is { } tested && FromHeader(tested):
                    return true;
                case IInvocationOperation { TargetMethod.Name: "Min" or "Clamp" } capping:
                    foreach (var argument in capping.Arguments)
                    {
                        if (FromHeader(argument.Value))
                        {
                            return true;
                        }
                    }

                    break;
            }
        }

        return false;
    }

    private static IOperation? PatternValue(IOperation pattern)
    {
        for (var current = pattern.Parent; current is not null; current = current.Parent)
        {
            if (current is IIsPatternOperation isPattern)
            {
                return isPattern.Value;
            }
        }

        return null;
    }

    // 0, TimeSpan.Zero: a validity test, not a cap.
    private static bool IsZero(IOperation operation) => operation.WithoutConversions() switch
    {
        { ConstantValue: { HasValue: true, Value: var value } } => value is 0 or 0L or 0d or 0f,
        IFieldReferenceOperation { Field.Name: "Zero" } => true,
        _ => false,
    };
}
