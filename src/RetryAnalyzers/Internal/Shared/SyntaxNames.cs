using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
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

    /// <summary>The name a type is written with, without its qualifier (<c>Polly.Retry.RetryStrategyOptions</c> → <c>RetryStrategyOptions</c>), or null.</summary>
    public static string? TypeName(TypeSyntax type) => type switch
    {
        QualifiedNameSyntax qualified => TypeName(qualified.Right),
        AliasQualifiedNameSyntax alias => TypeName(alias.Name),
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

    /// <summary>
    /// The <c>for</c> / <c>while</c> / <c>do</c> loop the node is in, in its own function (no lambda, local function or
    /// <c>foreach</c> in between): the loops <c>HandWrittenRetryLoops.EnclosingLoop</c> accepts; else null.
    /// </summary>
    public static StatementSyntax? EnclosingForOrWhileLoop(SyntaxNode node)
    {
        for (var current = node.Parent; current is not null; current = current.Parent)
        {
            switch (current)
            {
                case ForStatementSyntax or WhileStatementSyntax or DoStatementSyntax:
                    return (StatementSyntax)current;
                case ForEachStatementSyntax or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax:
                    return null;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether a loop can hold a wait that follows a failure (what <c>HandWrittenRetryLoops.RetryLoopOf</c> requires): a
    /// <c>catch</c>, or a name a status check reads — an <c>HttpResponseMessage</c> property, <c>HttpStatusCode</c> — or
    /// the literal 429. A necessary condition read from the syntax, so that other loops are never bound.
    /// </summary>
    public static bool MayRetryAfterFailure(SyntaxNode loop)
    {
        foreach (var item in loop.DescendantNodesAndTokens())
        {
            if (item.IsNode
                    ? item.IsKind(SyntaxKind.CatchClause)
                    : (item.IsKind(SyntaxKind.IdentifierToken) && item.AsToken().ValueText is "StatusCode" or "IsSuccessStatusCode" or "Headers" or "Content" or
                          "ReasonPhrase" or "RequestMessage" or "Version" or "TrailingHeaders" or "HttpStatusCode") ||
                      (item.IsKind(SyntaxKind.NumericLiteralToken) && item.AsToken().Value is 429))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The member holding <paramref name="node"/> (all top-level statements for one of them) names a Retry-After: an
    /// identifier containing <c>RetryAfter</c>, or a string containing <c>retry-after</c> (any case).
    /// </summary>
    public static bool MemberMentionsRetryAfter(SyntaxNode node)
    {
        SyntaxNode? member = node.FirstAncestorOrSelf<MemberDeclarationSyntax>();
        if (member is GlobalStatementSyntax)
        {
            member = member.Parent;
        }

        foreach (var token in (member ?? node.SyntaxTree.GetRoot()).DescendantTokens())
        {
            if ((token.IsKind(SyntaxKind.IdentifierToken) && token.ValueText.IndexOf("RetryAfter", StringComparison.OrdinalIgnoreCase) >= 0) ||
                (token.IsKind(SyntaxKind.StringLiteralToken) && token.ValueText.IndexOf("retry-after", StringComparison.OrdinalIgnoreCase) >= 0))
            {
                return true;
            }
        }

        return false;
    }
}
