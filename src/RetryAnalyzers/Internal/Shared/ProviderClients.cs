using System;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace RetryAnalyzers.Internal;

/// <summary>LLM SDK client types (OpenAI, Azure OpenAI, Anthropic): shared by the key (RA0003) and fan-out (RA0004) rules.</summary>
internal static class ProviderClients
{
    private static readonly ConditionalWeakTable<INamespaceSymbol, string> Names = new();

    private static readonly string[] ProviderNamespaces = { "OpenAI", "Azure.AI.OpenAI", "Anthropic" };

    /// <summary>A type named <c>…Client</c> in an LLM SDK's namespace.</summary>
    public static bool Is(ITypeSymbol? type)
        => type is INamedTypeSymbol named && named.Name.EndsWith("Client", StringComparison.Ordinal) && InNamespace(named, ProviderNamespaces);

    public static bool InNamespace(INamedTypeSymbol? type, string[] roots)
    {
        if (type?.ContainingNamespace is not { } symbol)
        {
            return false;
        }

        // Asked for every `Add…` call and `…Client` creation: the name is built once per namespace, not per call.
        var ns = Names.GetValue(symbol, static n => n.ToDisplayString());

        foreach (var root in roots)
        {
            if (ns == root || ns.StartsWith(root + ".", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
