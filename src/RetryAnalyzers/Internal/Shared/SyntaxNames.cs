using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace RetryAnalyzers.Internal;

/// <summary>Names read from syntax alone, for the cheap filters that decide what a syntax action binds.</summary>
internal static class SyntaxNames
{
    /// <summary>The member or simple name an expression ends in (<c>Task.Delay</c> → <c>Delay</c>, <c>o?.Retry</c> → <c>Retry</c>), or null.</summary>
    public static string? Of(ExpressionSyntax expression) => expression switch
    {
        MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
        MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
        SimpleNameSyntax simple => simple.Identifier.ValueText,
        _ => null,
    };

    /// <summary>The location of the name an expression ends in (<c>services.AddX</c> → <c>AddX</c>), else of the whole expression.</summary>
    public static Location NameLocation(ExpressionSyntax expression) => expression switch
    {
        MemberAccessExpressionSyntax access => access.Name.GetLocation(),
        MemberBindingExpressionSyntax binding => binding.Name.GetLocation(),
        _ => expression.GetLocation(),
    };
}
