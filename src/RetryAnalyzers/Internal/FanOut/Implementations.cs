using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace RetryAnalyzers.Internal;

/// <summary>
/// The bodies a call to one of the application's own interface members or abstract/virtual methods may run: the
/// implementations and overrides declared in the compilation's source, test doubles left out.
/// <para>Cheap on big code bases: one syntax-only index per compilation (built on the first such call a fan-out
/// reaches) maps each name written in a base list to the type declarations that write it; a query binds only the
/// declarations of the types that derive from the method's type, directly or through others, and is cached. Every
/// answer is a pure function of the compilation, so it never depends on analysis order or threads.</para>
/// </summary>
internal sealed class Implementations
{
    /// <summary>More implementations than this and the call is not followed (a plug-in point, not a layer).</summary>
    public const int MaxFollowed = 16;

    private readonly Compilation _compilation;
    private readonly Lazy<Dictionary<string, List<BaseTypeDeclarationSyntax>>> _derivedByBaseName;
    private readonly ConcurrentDictionary<IMethodSymbol, ImmutableArray<IMethodSymbol>> _answers = new(SymbolEqualityComparer.Default);

    public Implementations(Compilation compilation)
    {
        _compilation = compilation;
        _derivedByBaseName = new Lazy<Dictionary<string, List<BaseTypeDeclarationSyntax>>>(IndexBaseLists, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>
    /// The source implementations (with a body) of <paramref name="method"/> when it is an interface member or an
    /// abstract/virtual method declared in source; empty when it is neither, has none, or has more than <see cref="MaxFollowed"/>.
    /// </summary>
    public ImmutableArray<IMethodSymbol> Of(IMethodSymbol method)
    {
        method = method.OriginalDefinition;
        var dispatched = method.ContainingType?.TypeKind == TypeKind.Interface || method.IsAbstract || method.IsVirtual || method.IsOverride;
        return dispatched && !method.DeclaringSyntaxReferences.IsEmpty ? _answers.GetOrAdd(method, Find) : ImmutableArray<IMethodSymbol>.Empty;
    }

    private ImmutableArray<IMethodSymbol> Find(IMethodSymbol method)
    {
        var types = DerivedTypes(method.ContainingType);

        // Implementations of an interface member first; then the overrides of the method or of any of those.
        var targets = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default) { method };
        foreach (var type in types)
        {
            foreach (var @interface in type.AllInterfaces)
            {
                if (!SymbolEqualityComparer.Default.Equals(@interface.OriginalDefinition, method.ContainingType))
                {
                    continue;
                }

                foreach (var member in @interface.GetMembers(method.Name))
                {
                    if (member is IMethodSymbol candidate && SymbolEqualityComparer.Default.Equals(candidate.OriginalDefinition, method) &&
                        type.FindImplementationForInterfaceMember(candidate) is IMethodSymbol implementation)
                    {
                        targets.Add(implementation.OriginalDefinition);
                    }
                }
            }
        }

        var found = new HashSet<IMethodSymbol>(targets, SymbolEqualityComparer.Default);
        foreach (var type in types)
        {
            foreach (var member in type.GetMembers(method.Name))
            {
                for (var overridden = (member as IMethodSymbol)?.OverriddenMethod; overridden is not null; overridden = overridden.OverriddenMethod)
                {
                    if (targets.Contains(overridden.OriginalDefinition))
                    {
                        found.Add(((IMethodSymbol)member).OriginalDefinition);
                        break;
                    }
                }
            }
        }

        found.Remove(method); // its own body is followed by the caller
        found.RemoveWhere(m => m.IsAbstract || m.DeclaringSyntaxReferences.IsEmpty || IsTestDouble(m.ContainingType));
        return found.Count <= MaxFollowed ? ImmutableArray.CreateRange(found) : ImmutableArray<IMethodSymbol>.Empty;
    }

    // The source types that name `root` in a base list, and the types that name those, and so on (by simple name, then
    // bound and kept only when they really are).
    private List<INamedTypeSymbol> DerivedTypes(INamedTypeSymbol root)
    {
        var index = _derivedByBaseName.Value;
        var types = new List<INamedTypeSymbol>();
        var seen = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default) { root };
        var names = new Queue<string>();
        var queued = new HashSet<string>(StringComparer.Ordinal) { root.Name };
        names.Enqueue(root.Name);
        while (names.Count > 0)
        {
            if (!index.TryGetValue(names.Dequeue(), out var declarations))
            {
                continue;
            }

            foreach (var declaration in declarations)
            {
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() within a diagnostic analyzer: declarations only, no bodies bound
                if (_compilation.GetSemanticModel(declaration.SyntaxTree).GetDeclaredSymbol(declaration) is not INamedTypeSymbol type ||
#pragma warning restore RS1030
                    !seen.Add(type) || !DerivesFrom(type, root))
                {
                    continue;
                }

                if (type.TypeKind is TypeKind.Class or TypeKind.Struct)
                {
                    types.Add(type);
                }

                if (queued.Add(type.Name))
                {
                    names.Enqueue(type.Name);
                }
            }
        }

        return types;
    }

    private static bool DerivesFrom(INamedTypeSymbol type, INamedTypeSymbol root)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, root))
            {
                return true;
            }
        }

        return type.AllInterfaces.Any(i => SymbolEqualityComparer.Default.Equals(i.OriginalDefinition, root));
    }

    private Dictionary<string, List<BaseTypeDeclarationSyntax>> IndexBaseLists()
    {
        var index = new Dictionary<string, List<BaseTypeDeclarationSyntax>>(StringComparer.Ordinal);
        foreach (var tree in _compilation.SyntaxTrees)
        {
            // Namespaces and types only: member bodies are never walked.
            foreach (var node in tree.GetRoot().DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax or TypeDeclarationSyntax))
            {
                if (node is not BaseTypeDeclarationSyntax { BaseList: { } bases } declaration)
                {
                    continue;
                }

                foreach (var baseType in bases.Types)
                {
                    var name = SimpleName(baseType.Type);
                    if (name is null)
                    {
                        continue;
                    }

                    if (!index.TryGetValue(name, out var list))
                    {
                        index[name] = list = new List<BaseTypeDeclarationSyntax>();
                    }

                    list.Add(declaration);
                }
            }
        }

        return index;
    }

    private static string? SimpleName(TypeSyntax type) => type switch
    {
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
        _ => null,
    };

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
