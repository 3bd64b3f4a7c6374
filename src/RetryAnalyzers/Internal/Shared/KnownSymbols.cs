using Microsoft.CodeAnalysis;

namespace RetryAnalyzers.Internal;

/// <summary>
/// Type checks for helpers that hold an operation or a model but no per-rule symbol set: the type is compared with
/// the symbol the compilation resolves for a <see cref="KnownTypes"/> name (the compilation caches that lookup).
/// </summary>
internal static class KnownSymbols
{
    public static bool Is(ITypeSymbol? type, Compilation? compilation, string metadataName)
        => type is not null && compilation?.GetTypeByMetadataName(metadataName) is { } known &&
           SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, known);
}
