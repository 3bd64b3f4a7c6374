using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;

namespace RetryAnalyzers.CodeFixes;

/// <summary>Names the runtime library's types in fixed code: a short name plus a <c>using</c> directive when that is unambiguous.</summary>
internal static class Imports
{
    /// <summary>
    /// <c>JitteredBackoff</c> when the name is free (or already means this type) at <paramref name="position"/>,
    /// else the fully qualified name. Call <see cref="AddUsing"/> once per document after the edits.
    /// </summary>
    public static SyntaxNode TypeName(SyntaxGenerator generator, SemanticModel model, int position, INamedTypeSymbol type)
    {
        var visible = model.LookupNamespacesAndTypes(position, name: type.Name);
        return visible.IsEmpty || visible.All(s => SymbolEqualityComparer.Default.Equals(s, type))
            ? SyntaxFactory.IdentifierName(type.Name)
            : generator.TypeExpression(type).WithAdditionalAnnotations(Simplifier.Annotation);
    }

    /// <summary>Adds <c>using <paramref name="namespaceName"/>;</c> to the file unless it is there, System usings first, then ordinal.</summary>
    public static void AddUsing(DocumentEditor editor, string namespaceName)
    {
        if (editor.OriginalRoot is not CompilationUnitSyntax unit ||
            unit.DescendantNodes(n => n is CompilationUnitSyntax or BaseNamespaceDeclarationSyntax).OfType<UsingDirectiveSyntax>()
                .Any(u => u.Alias is null && u.StaticKeyword.IsKind(SyntaxKind.None) && u.Name?.ToString() == namespaceName))
        {
            return;
        }

        // Keep the file's own line endings.
        var endOfLine = unit.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        if (endOfLine.IsKind(SyntaxKind.None))
        {
            endOfLine = SyntaxFactory.EndOfLine("\n");
        }

        editor.ReplaceNode(unit, (current, _) =>
        {
            var root = (CompilationUnitSyntax)current;
            if (root.Usings.Any(u => u.Alias is null && u.Name?.ToString() == namespaceName))
            {
                return root; // another site of the same Fix All added it already
            }

            var directive = SyntaxFactory.UsingDirective(SyntaxFactory.ParseName(namespaceName).WithLeadingTrivia(SyntaxFactory.Space));
            var index = 0;
            while (index < root.Usings.Count && Compare(root.Usings[index], namespaceName) < 0)
            {
                index++;
            }

            if (root.Usings.Count == 0)
            {
                return root.WithUsings(root.Usings.Add(directive.WithTrailingTrivia(endOfLine, endOfLine)));
            }

            return root.WithUsings(root.Usings.Insert(index, directive.WithTrailingTrivia(endOfLine)));
        });
    }

    private static int Compare(UsingDirectiveSyntax existing, string namespaceName)
    {
        if (existing.Alias is not null || !existing.StaticKeyword.IsKind(SyntaxKind.None) || existing.Name is null)
        {
            return 1; // aliases and static usings go after plain namespace usings
        }

        var name = existing.Name.ToString();
        var existingSystem = IsSystem(name);
        var newSystem = IsSystem(namespaceName);
        return existingSystem == newSystem ? string.CompareOrdinal(name, namespaceName) : existingSystem ? -1 : 1;
    }

    private static bool IsSystem(string name) => name == "System" || name.StartsWith("System.", StringComparison.Ordinal);
}
