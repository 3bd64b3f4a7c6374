using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>Whether the items a fan-out starts a task for are bounded before it: a batch, or a fixed set written in code.</summary>
internal static class FanOutBounds
{
    /// <summary>A set written in code of at most this many items is a fixed handful, not a data-sized fan-out.</summary>
    public const int FixedHandful = 8;

    // A local is followed to the value it is declared with this many times (var a = …; var b = a.ToList(); …).
    private const int LocalsFollowed = 3;

    /// <summary>The tasks without <c>ToList()</c> / <c>ToArray()</c> around them.</summary>
    public static IOperation Unmaterialized(IOperation tasks)
    {
        var current = tasks.WithoutConversions();
        while (current is IInvocationOperation { TargetMethod.Name: "ToList" or "ToArray", Arguments.Length: 1 } materialize &&
               MetadataNames.Is(materialize.TargetMethod.ContainingType, KnownTypes.Enumerable))
        {
            current = materialize.Arguments[0].Value.WithoutConversions();
        }

        return current;
    }

    /// <summary>
    /// <paramref name="source"/> (or the value the local it names is declared with) is a batch — <c>Take(n)</c>,
    /// <c>Chunk(n)</c>'s batch, <c>Range(0, Math.Min(…))</c> — or a fixed handful written in code: an array literal,
    /// a collection expression without spreads, <c>Enumerable.Range(0, n)</c> with a constant n, or a call to a method
    /// of the compilation that returns such a literal or only <c>yield return</c>s outside loops.
    /// </summary>
    public static bool IsBounded(IOperation source)
    {
        for (var followed = 0; ; followed++)
        {
            source = Unmaterialized(source);
            if (IsFixedHandful(source) || IsBatch(source))
            {
                return true;
            }

            if (followed == LocalsFollowed || source is not ILocalReferenceOperation local || LocalInitializers.Find(local.Local, local) is not { } initializer)
            {
                return false;
            }

            source = initializer;
        }
    }

    // items.Take(n), items.Skip(i).Take(n), Enumerable.Range(0, Math.Min(batchSize, …)), or the batch of a
    // foreach (var batch in items.Chunk(n)) (or over a local declared so): the code already sends at most a batch at a time.
    private static bool IsBatch(IOperation source) => source switch
    {
        IInvocationOperation { TargetMethod.Name: "Take" or "Chunk" } => true,
        IInvocationOperation { TargetMethod.Name: "Range", Arguments.Length: 2 } range =>
            range.Arguments[1].Value.WithoutConversions() is IInvocationOperation { TargetMethod: { Name: "Min", ContainingType.Name: "Math" } },
        ILocalReferenceOperation local => ForEachOver(local) is { } collection && IsChunks(collection),
        _ => false,
    };

    private static IOperation? ForEachOver(ILocalReferenceOperation local)
    {
        for (var current = local.Parent; current is not null; current = current.Parent)
        {
            if (current is IForEachLoopOperation loop && loop.Locals.Any(l => SymbolEqualityComparer.Default.Equals(l, local.Local)))
            {
                return loop.Collection;
            }
        }

        return null;
    }

    private static bool IsChunks(IOperation collection)
    {
        var current = Unmaterialized(collection);
        if (current is ILocalReferenceOperation local && LocalInitializers.Find(local.Local, local) is { } initializer)
        {
            current = Unmaterialized(initializer);
        }

        return current is IInvocationOperation { TargetMethod.Name: "Chunk" };
    }

    private static bool IsFixedHandful(IOperation source) => source switch
    {
        IArrayCreationOperation { Initializer: { } initializer } => initializer.ElementValues.Length <= FixedHandful,
        IInvocationOperation { TargetMethod.Name: "Range", Arguments.Length: 2 } range => range.Arguments[1].Value.ConstantValue is { HasValue: true, Value: int count } && count <= FixedHandful,
        IInvocationOperation call => ReturnsAFixedSet(call.TargetMethod),
        _ => source.Syntax is CollectionExpressionSyntax collection && IsFixedLiteral(collection),
    };

    // static IEnumerable<Entry> CreateEntries() { yield return …; yield return …; } or => new[] { … } / [ … ].
    private static bool ReturnsAFixedSet(IMethodSymbol method)
    {
        if (method.DeclaringSyntaxReferences.Length != 1 || method.IsAbstract || method.IsVirtual)
        {
            return false;
        }

        var (body, expression) = method.DeclaringSyntaxReferences[0].GetSyntax() switch
        {
            MethodDeclarationSyntax declaration => ((SyntaxNode?)declaration.Body, declaration.ExpressionBody?.Expression),
            LocalFunctionStatementSyntax local => (local.Body, local.ExpressionBody?.Expression),
            _ => (null, null),
        };
        if (expression is not null)
        {
            return IsFixedLiteral(expression);
        }

        if (body is null || body.DescendantNodes().Any(n => n is CommonForEachStatementSyntax or ForStatementSyntax or WhileStatementSyntax or DoStatementSyntax or GotoStatementSyntax))
        {
            return false;
        }

        var yields = body.DescendantNodes().Count(n => n.IsKind(SyntaxKind.YieldReturnStatement));
        if (yields > 0)
        {
            return yields <= FixedHandful;
        }

        var returns = body.DescendantNodes().OfType<ReturnStatementSyntax>().ToList();
        return returns.Count > 0 && returns.All(r => r.Expression is { } value && IsFixedLiteral(value));
    }

    private static bool IsFixedLiteral(SyntaxNode expression) => expression switch
    {
        ArrayCreationExpressionSyntax { Initializer: { } initializer } => initializer.Expressions.Count <= FixedHandful,
        ImplicitArrayCreationExpressionSyntax creation => creation.Initializer.Expressions.Count <= FixedHandful,
        CollectionExpressionSyntax collection => collection.Elements.Count <= FixedHandful && collection.Elements.All(e => e is ExpressionElementSyntax),
        _ => false,
    };
}
