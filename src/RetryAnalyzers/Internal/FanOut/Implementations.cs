using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace RetryAnalyzers.Internal;

/// <summary>
/// The bodies a call to one of the application's own interface members or abstract/virtual methods may run: the
/// implementations and overrides declared in the compilation's source, test doubles left out. The map is built once
/// per compilation, lazily (on the first such call a fan-out reaches), from every source type; an answer is a pure
/// function of the compilation, so it never depends on analysis order or threads.
/// </summary>
internal sealed class Implementations
{
    /// <summary>More implementations than this and the call is not followed (a plug-in point, not a layer).</summary>
    public const int MaxFollowed = 16;

    private readonly Lazy<Dictionary<IMethodSymbol, HashSet<IMethodSymbol>>> _map;
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<IMethodSymbol>> _answers = new(SymbolEqualityComparer.Default);

    public Implementations(Compilation compilation)
        => _map = new Lazy<Dictionary<IMethodSymbol, HashSet<IMethodSymbol>>>(() => Build(compilation.Assembly.GlobalNamespace), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The source implementations (with a body) of <paramref name="method"/> when it is an interface member or an
    /// abstract/virtual method declared in source; empty when it is neither, has none, or has more than <see cref="MaxFollowed"/>.
    /// </summary>
    public ImmutableArray<IMethodSymbol> Of(IMethodSymbol method)
    {
        method = method.OriginalDefinition;
        var dispatched = method.ContainingType?.TypeKind == TypeKind.Interface || method.IsAbstract || method.IsVirtual || method.IsOverride;
        if (!dispatched || method.DeclaringSyntaxReferences.IsEmpty)
        {
            return ImmutableArray<IMethodSymbol>.Empty;
        }

        return _answers.GetOrAdd(method, Find);
    }

    // An interface member implemented by a virtual or abstract method runs that method's overrides too.
    private ImmutableArray<IMethodSymbol> Find(IMethodSymbol method)
    {
        var map = _map.Value;
        var found = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        if (map.TryGetValue(method, out var direct))
        {
            foreach (var implementation in direct)
            {
                found.Add(implementation);
                if (map.TryGetValue(implementation, out var overrides))
                {
                    found.UnionWith(overrides);
                }
            }
        }

        found.RemoveWhere(m => m.IsAbstract || m.DeclaringSyntaxReferences.IsEmpty);
        return found.Count <= MaxFollowed ? ImmutableArray.CreateRange(found) : ImmutableArray<IMethodSymbol>.Empty;
    }

    private static Dictionary<IMethodSymbol, HashSet<IMethodSymbol>> Build(INamespaceSymbol root)
    {
        var map = new Dictionary<IMethodSymbol, HashSet<IMethodSymbol>>(SymbolEqualityComparer.Default);
        var types = new Stack<INamespaceOrTypeSymbol>();
        types.Push(root);
        while (types.Count > 0)
        {
            var current = types.Pop();
            foreach (var member in current.GetMembers())
            {
                if (member is INamespaceOrTypeSymbol nested)
                {
                    types.Push(nested);
                }
            }

            if (current is INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } type && !IsTestDouble(type))
            {
                AddImplementations(type, map);
            }
        }

        return map;
    }

    private static void AddImplementations(INamedTypeSymbol type, Dictionary<IMethodSymbol, HashSet<IMethodSymbol>> map)
    {
        foreach (var @interface in type.AllInterfaces)
        {
            if (@interface.DeclaringSyntaxReferences.IsEmpty)
            {
                continue; // not the application's own interface
            }

            foreach (var member in @interface.GetMembers())
            {
                if (member is IMethodSymbol interfaceMethod && type.FindImplementationForInterfaceMember(interfaceMethod) is IMethodSymbol implementation)
                {
                    Add(map, interfaceMethod, implementation);
                }
            }
        }

        foreach (var member in type.GetMembers())
        {
            // An override runs for a call to every method it overrides, however far up the chain.
            for (var overridden = (member as IMethodSymbol)?.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
            {
                if (!overridden.DeclaringSyntaxReferences.IsEmpty)
                {
                    Add(map, overridden, (IMethodSymbol)member);
                }
            }
        }
    }

    private static void Add(Dictionary<IMethodSymbol, HashSet<IMethodSymbol>> map, IMethodSymbol called, IMethodSymbol runs)
    {
        runs = runs.OriginalDefinition;
        called = called.OriginalDefinition;
        if (!map.TryGetValue(called, out var set))
        {
            map[called] = set = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        }

        set.Add(runs);
    }

    // Fakes, mocks and stubs, and any type of a test project (a namespace segment or a type name with "Test"): a
    // test double that calls a provider says nothing about what the application's fan-out does.
    private static bool IsTestDouble(INamedTypeSymbol type)
    {
        for (INamespaceOrTypeSymbol? current = type; current is not null && !(current is INamespaceSymbol { IsGlobalNamespace: true }); current = (INamespaceOrTypeSymbol?)current.ContainingType ?? current.ContainingNamespace)
        {
            var name = current.Name;
            if (name.IndexOf("Test", StringComparison.Ordinal) >= 0 || name.StartsWith("Fake", StringComparison.Ordinal) ||
                name.StartsWith("Mock", StringComparison.Ordinal) || name.StartsWith("Stub", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
