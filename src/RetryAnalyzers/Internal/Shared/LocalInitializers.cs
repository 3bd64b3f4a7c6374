using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>Follows a local to the value it is declared with; shared by the retry-delay, key and fan-out rules.</summary>
internal static class LocalInitializers
{
    /// <summary>The value a local is declared with (its declarator's initializer), found in the member that holds <paramref name="reference"/>.</summary>
    public static IOperation? Find(ILocalSymbol local, IOperation reference)
    {
        foreach (var operation in reference.Root().Descendants())
        {
            if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
            {
                return declarator.Initializer?.Value ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer?.Value;
            }
        }

        return null;
    }
}
