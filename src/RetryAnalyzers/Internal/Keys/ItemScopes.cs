using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// Clients created per item (RA0003's first case): the loop or per-item lambda a key site runs in, and whether its key
/// is the same for every item.
/// </summary>
internal static class ItemScopes
{
    private static readonly string[] PerItemTypes = { "Enumerable", "ParallelEnumerable", "Parallel" };

    /// <summary>
    /// The <c>for</c>/<c>foreach</c> loop, or the lambda given to a LINQ operator, <c>Parallel.For[Each][Async]</c> or
    /// <c>List&lt;T&gt;.ForEach</c>, that runs <paramref name="operation"/> once per item; null when there is none in its member.
    /// A <c>while</c>/<c>do</c> loop is a retry or polling loop: a client per attempt runs one at a time, not side by side.
    /// </summary>
    public static IOperation? Of(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case IForEachLoopOperation or IForLoopOperation:
                    return current;
                case IWhileLoopOperation or ILocalFunctionOperation:
                    return null;
                case IAnonymousFunctionOperation lambda when IsPerItem(lambda):
                    return lambda;
            }
        }

        return null;
    }

    /// <summary>
    /// The key is the same for every item of <paramref name="scope"/>: it does not come from the item (the loop variable,
    /// the lambda's parameter, a local computed inside the loop from them, a call we cannot see into).
    /// </summary>
    public static bool IsInvariant(IOperation key, IOperation scope, int depth = 0)
    {
        if (depth > KeySites.MaxDepth)
        {
            return false;
        }

        var value = key.WithoutConversions();
        if (value.ConstantValue.HasValue)
        {
            return value.ConstantValue.Value is string literal && KeySites.IsKeyLiteral(literal);
        }

        if (KeySites.Wrapped(value) is { } inner)
        {
            return IsInvariant(inner, scope, depth + 1);
        }

        switch (value)
        {
            case IParameterReferenceOperation parameter:
                return !Declares(scope, parameter.Parameter);
            case ILocalReferenceOperation local when Declares(scope, local.Local):
                return LocalInitializers.Find(local.Local, local) is { } initializer && IsInvariant(initializer, scope, depth + 1);
            case ILocalReferenceOperation local:
                return !AssignedIn(scope, local.Local);
            case IMemberReferenceOperation { Instance: null or IInstanceReferenceOperation } member when member is IFieldReferenceOperation or IPropertyReferenceOperation { Arguments.Length: 0 }:
                return true;
            case IMemberReferenceOperation { Instance: { } instance } member when member is IFieldReferenceOperation or IPropertyReferenceOperation { Arguments.Length: 0 }:
                return IsInvariant(instance, scope, depth + 1);
            default:
                // Environment.GetEnvironmentVariable("X"), configuration["X"]: the same value for every item. Any other
                // call may hand out a key per call (a rotation, a pool).
                return KeySites.Resolve(value, depth + 1) is not null;
        }
    }

    private static bool IsPerItem(IAnonymousFunctionOperation lambda)
        => lambda.Parent is IDelegateCreationOperation { Parent: IArgumentOperation { Parent: IInvocationOperation { TargetMethod: var method } } } &&
           (method.ContainingType?.Name is { } type && System.Array.IndexOf(PerItemTypes, type) >= 0 ||
            method.Name == "ForEach" && method.ContainingType?.Name == "List");

    private static bool Declares(IOperation scope, ISymbol symbol)
    {
        var span = scope.Syntax.Span;
        foreach (var reference in symbol.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree == scope.Syntax.SyntaxTree && span.Contains(reference.Span))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AssignedIn(IOperation scope, ILocalSymbol local)
    {
        foreach (var operation in scope.Descendants())
        {
            // Assigned, passed by ref/out (map.TryGetValue(item, out key)), deconstructed into: the write test the retry rules use.
            if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local) && MemberIndex.IsWrite(reference))
            {
                return true;
            }
        }

        return false;
    }
}
