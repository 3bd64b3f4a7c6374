using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// The value a field is initialized with, or a method returns, when it is declared in the file being analyzed
/// (<c>static readonly IAsyncPolicy&lt;HttpResponseMessage&gt; Retry = …;</c>, <c>static IAsyncPolicy&lt;…&gt; GetRetryPolicy() =&gt; …;</c>).
/// Declarations in other files are not read.
/// </summary>
internal static class DeclaredValues
{
    /// <summary>The initializer of a field declared in <paramref name="model"/>'s tree, or null.</summary>
    public static IOperation? FieldInitializer(IFieldSymbol field, SemanticModel? model)
    {
        foreach (var reference in field.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree == model?.SyntaxTree && reference.GetSyntax() is VariableDeclaratorSyntax { Initializer.Value: { } value })
            {
                return model.GetOperation(value);
            }
        }

        return null;
    }

    /// <summary>What a parameterless method declared in <paramref name="model"/>'s tree returns, when it is one expression (an expression body or a lone <c>return</c>), else null.</summary>
    public static IOperation? MethodResult(IMethodSymbol method, SemanticModel? model)
    {
        if (method.Parameters.Length != 0 || method.IsAbstract || method.IsVirtual)
        {
            return null;
        }

        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            if (reference.SyntaxTree != model?.SyntaxTree || reference.GetSyntax() is not MethodDeclarationSyntax declaration)
            {
                continue;
            }

            var returned = declaration.ExpressionBody?.Expression ??
                           (declaration.Body?.Statements is { Count: 1 } statements && statements[0] is ReturnStatementSyntax { Expression: { } expression } ? expression : null);
            return returned is null ? null : model.GetOperation(returned);
        }

        return null;
    }

    /// <summary>The operation behind a local, a <c>readonly</c> field or a parameterless method call of this file, else <paramref name="operation"/> itself.</summary>
    public static IOperation? Follow(IOperation operation)
        => operation.WithoutConversions() switch
        {
            ILocalReferenceOperation local => LocalInitializers.Find(local.Local, operation),
            IFieldReferenceOperation { Field.IsReadOnly: true } field => FieldInitializer(field.Field, operation.SemanticModel),
            IInvocationOperation { Instance: null or IInstanceReferenceOperation } call when call.TargetMethod.DeclaringSyntaxReferences.Any() => MethodResult(call.TargetMethod, operation.SemanticModel) ?? call,
            var other => other,
        };
}
