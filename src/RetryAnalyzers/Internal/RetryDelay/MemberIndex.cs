using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// What the retry-delay rules ask about one member body, computed once per operation tree instead of once per delay:
/// each local's initializer, the references to each local and parameter, the symbols each loop (or other region) writes,
/// the exits of a loop body, the first failure gate of a block. Every delay of a method shares its tree, so a method
/// with n delays costs O(n) instead of O(n²). Thread-safe; a tree no longer in use drops its index with it.
/// </summary>
internal sealed class MemberIndex
{
    private static readonly ConditionalWeakTable<IOperation, MemberIndex> Indexes = new();

    private readonly Dictionary<ILocalSymbol, IVariableDeclaratorOperation> _declarators = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ISymbol, List<IOperation>> _references = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<IOperation, Dictionary<ISymbol, bool>> _written = new();
    private readonly ConcurrentDictionary<(IOperation Region, IOperation Key), IReadOnlyList<IOperation>> _regionLists = new();
    private readonly ConcurrentDictionary<(IOperation Block, IOperation Loop), IOperation?> _firstGates = new();

    private MemberIndex(IOperation root)
    {
        foreach (var operation in root.DescendantsAndSelf())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when !_declarators.ContainsKey(declarator.Symbol):
                    _declarators.Add(declarator.Symbol, declarator);
                    break;
                case ILocalReferenceOperation local:
                    Add(local.Local, operation);
                    break;
                case IParameterReferenceOperation parameter:
                    Add(parameter.Parameter, operation);
                    break;
            }
        }
    }

    /// <summary>The index of the member body that holds <paramref name="operation"/>.</summary>
    public static MemberIndex For(IOperation operation) => Indexes.GetValue(operation.Root(), static root => new MemberIndex(root));

    /// <summary>The value a local is declared with, or null.</summary>
    public IOperation? Initializer(ILocalSymbol local)
        => _declarators.TryGetValue(local, out var declarator)
            ? declarator.Initializer?.Value ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer?.Value
            : null;

    /// <summary>The references to a local or parameter in this member, in source order.</summary>
    public IReadOnlyList<IOperation> References(ISymbol symbol)
        => _references.TryGetValue(symbol, out var list) ? list : (IReadOnlyList<IOperation>)System.Array.Empty<IOperation>();

    /// <summary>
    /// Whether a local or parameter is written in this member other than by its declaration: assigned (<c>=</c>,
    /// <c>+=</c>, <c>??=</c>, a deconstruction), incremented, or passed by <c>ref</c>/<c>out</c>.
    /// </summary>
    public bool IsWritten(ISymbol symbol, IOperation? except = null)
    {
        foreach (var reference in References(symbol))
        {
            if (IsWrite(reference) && reference.Parent != except)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Is this reference the target of a write?</summary>
    public static bool IsWrite(IOperation reference) => reference.Parent switch
    {
        IAssignmentOperation assignment => assignment.Target == reference,
        IIncrementOrDecrementOperation => true,
        IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } => true,
        ITupleOperation or IDeclarationExpressionOperation => true, // (a, b) = …: treated as written
        _ => false,
    };

    /// <summary>The symbols written inside <paramref name="region"/>, computed once per region with <paramref name="compute"/>.</summary>
    public Dictionary<ISymbol, bool> Written(IOperation region, System.Func<IOperation, Dictionary<ISymbol, bool>> compute)
        => _written.GetOrAdd(region, compute);

    /// <summary>A list of operations computed once per (<paramref name="region"/>, <paramref name="key"/>).</summary>
    public IReadOnlyList<IOperation> List(IOperation region, IOperation key, System.Func<(IOperation Region, IOperation Key), IReadOnlyList<IOperation>> compute)
        => _regionLists.GetOrAdd((region, key), compute);

    /// <summary>An operation of a block computed once per (<paramref name="block"/>, <paramref name="loop"/>).</summary>
    public IOperation? FirstGate(IOperation block, IOperation loop, System.Func<(IOperation Block, IOperation Loop), IOperation?> compute)
        => _firstGates.GetOrAdd((block, loop), compute);

    private void Add(ISymbol symbol, IOperation reference)
    {
        if (!_references.TryGetValue(symbol, out var list))
        {
            _references[symbol] = list = new List<IOperation>();
        }

        list.Add(reference);
    }
}
