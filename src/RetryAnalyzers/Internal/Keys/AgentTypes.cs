using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// What RA0003 counts as an agent: a non-static class that builds or holds a provider client and whose name ends in
/// <c>Agent</c>, or that derives from or implements a known agent abstraction (Microsoft Agent Framework <c>AIAgent</c>,
/// Semantic Kernel <c>Agent</c>, AutoGen <c>IAgent</c>), or that is created in the same method as another class holding a
/// client (an orchestrator starting its team). A sample or snippet class that builds a client in a method, a factory
/// or a DI helper is not an agent.
/// </summary>
internal sealed class AgentTypes
{
    // (type name, namespace root): by name, so the rule needs none of these packages to be referenced.
    private static readonly (string Name, string[] Namespace)[] Abstractions =
    {
        ("AIAgent", new[] { "Microsoft.Agents.AI" }),
        ("Agent", new[] { "Microsoft.SemanticKernel.Agents" }),
        ("IAgent", new[] { "AutoGen", "Microsoft.AutoGen" }),
        ("BaseAgent", new[] { "Microsoft.AutoGen" }),
    };

    private static readonly string[] ExtensionsAI = { "Microsoft.Extensions.AI" };

    private readonly IAssemblySymbol _assembly;
    private readonly ConcurrentDictionary<INamedTypeSymbol, bool> _holdsClient = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentBag<(ISymbol Method, INamedTypeSymbol Type)> _created = new();

    /// <summary>Creates the per-compilation state.</summary>
    /// <param name="assembly">The compilation's own assembly: co-creation counts its classes only.</param>
    public AgentTypes(IAssemblySymbol assembly) => _assembly = assembly;

    /// <summary>Records a creation of a class of this compilation, for the co-creation test; call for every object creation.</summary>
    public void Created(IObjectCreationOperation creation, ISymbol method)
    {
        // Classes of this compilation only: a library's agent class (AutoGen's OpenAIChatAgent) started beside a sample's
        // own class does not make the sample an agent. Whether a class holds a client is asked at the end, and only of
        // classes created beside a class with a key site (binding every created class's members cost more than the rule).
        if (creation.Type is INamedTypeSymbol { TypeKind: TypeKind.Class } type && SymbolEqualityComparer.Default.Equals(type.ContainingAssembly, _assembly) &&
            !ProviderClients.Is(type))
        {
            _created.Add((method, type));
        }
    }

    /// <summary>
    /// Of <paramref name="candidates"/> (the classes with key sites), those created in one method beside another class
    /// holding a client; call once, at the end.
    /// </summary>
    public HashSet<INamedTypeSymbol> CreatedTogether(HashSet<INamedTypeSymbol> candidates)
    {
        var byMethod = new Dictionary<ISymbol, HashSet<INamedTypeSymbol>>(SymbolEqualityComparer.Default);
        foreach (var (method, type) in _created)
        {
            if (!byMethod.TryGetValue(method, out var types))
            {
                byMethod[method] = types = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
            }

            types.Add(type);
        }

        var together = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default);
        foreach (var types in byMethod.Values)
        {
            if (types.Count < 2 || !types.Overlaps(candidates))
            {
                continue;
            }

            var holders = types.Where(HoldsClient).ToList();
            if (holders.Count >= 2)
            {
                together.UnionWith(holders.Where(candidates.Contains));
            }
        }

        return together;
    }

    /// <summary>Is <paramref name="type"/>, which builds or receives a client, an agent.</summary>
    public static bool IsAgent(INamedTypeSymbol type, HashSet<INamedTypeSymbol> createdTogether)
        => type is { TypeKind: TypeKind.Class, IsStatic: false } &&
           (type.Name.EndsWith("Agent", StringComparison.Ordinal) || IsAbstraction(type) || createdTogether.Contains(type));

    /// <summary>
    /// The agent a site's client belongs to: the class it is handed to when built in the argument list, else the class
    /// the site is in, unless the site is in a static method (a sample's <c>static RunAsync</c>, a <c>Main</c>, a factory:
    /// an agent holds its client, in a field, a property or its constructor).
    /// </summary>
    public static INamedTypeSymbol? Of(IOperation site, ISymbol member)
        => Receiver(site) ?? (member is IMethodSymbol { IsStatic: true, MethodKind: not MethodKind.StaticConstructor } ? null : member.ContainingType);

    /// <summary>
    /// The class a site's client is handed to when it is built right in the argument list:
    /// <c>new WriterAgent(new OpenAIClient(key).GetChatClient(model))</c> → <c>WriterAgent</c>; else null.
    /// </summary>
    private static INamedTypeSymbol? Receiver(IOperation site)
    {
        var current = site;
        while (current.Parent is { } parent)
        {
            switch (parent)
            {
                case IConversionOperation:
                case IInvocationOperation invocation when ReferenceEquals(invocation.Instance, current):
                    current = parent;
                    continue;
                case IArgumentOperation { Parent: IInvocationOperation { TargetMethod.IsExtensionMethod: true } extension } argument when ReferenceEquals(extension.Arguments[0], argument):
                    current = extension;
                    continue;
                case IArgumentOperation { Parent: IObjectCreationOperation { Type: INamedTypeSymbol { TypeKind: TypeKind.Class } owner } } when !ProviderClients.Is(owner) && !KeySites.IsCredential(owner):
                    return owner;
                default:
                    return null;
            }
        }

        return null;
    }

    private bool HoldsClient(INamedTypeSymbol type)
        => _holdsClient.GetOrAdd(type, static t =>
        {
            foreach (var member in t.GetMembers())
            {
                var held = member switch
                {
                    IFieldSymbol field => field.Type,
                    IPropertySymbol property => property.Type,
                    _ => null,
                };
                if (IsClientLike(held) || member is IMethodSymbol { MethodKind: MethodKind.Constructor } constructor && constructor.Parameters.Any(p => IsClientLike(p.Type)))
                {
                    return true;
                }
            }

            return false;
        });

    // A provider SDK client, an IChatClient, or a credential it is built from.
    private static bool IsClientLike(ITypeSymbol? type)
        => ProviderClients.Is(type) || KeySites.IsCredential(type) ||
           type is INamedTypeSymbol { Name: "IChatClient" } chat && ProviderClients.InNamespace(chat, ExtensionsAI);

    private static bool IsAbstraction(INamedTypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (Matches(current))
            {
                return true;
            }
        }

        foreach (var implemented in type.AllInterfaces)
        {
            if (Matches(implemented))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Matches(INamedTypeSymbol type)
    {
        foreach (var (name, ns) in Abstractions)
        {
            if (type.Name == name && ProviderClients.InNamespace(type, ns))
            {
                return true;
            }
        }

        return false;
    }
}
