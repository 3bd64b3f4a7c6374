using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>
/// Waits in helper methods that hand-written retry loops call: <c>await BackoffAsync(attempt)</c> after a failure, where
/// <c>BackoffAsync</c>, a method of the same compilation, does <c>await Task.Delay(…)</c> outside any loop of its own.
/// The wait is reported once, at the helper's <c>Task.Delay</c>, classed with what the retry callers pass: constant
/// arguments give a constant wait, the attempt a growing one. One per compilation; the result never depends on
/// analysis order.
/// </summary>
internal sealed class WaitHelpers
{
    private const int MaxHelperStatements = 4;

    private static readonly string[] WaitWords = { "Wait", "Delay", "Backoff", "Sleep", "Pause" };

    private readonly Compilation _compilation;
    private readonly Lazy<Dictionary<string, List<InvocationExpressionSyntax>>> _callsInLoops;
    private readonly ConcurrentDictionary<IMethodSymbol, List<(IInvocationOperation Call, ILoopOperation Loop)>> _retryCallers = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<INamedTypeSymbol, Dictionary<string, List<InvocationExpressionSyntax>>> _callsInLoopsOfType = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentDictionary<SyntaxTree, SemanticModel> _models = new();

    public WaitHelpers(Compilation compilation)
    {
        _compilation = compilation;
        _callsInLoops = new Lazy<Dictionary<string, List<InvocationExpressionSyntax>>>(
            () => IndexCallsInLoops(AllRoots(compilation)), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The site of a <c>Task.Delay</c> / <c>Thread.Sleep</c> in a helper that retry loops call, or null.</summary>
    public RetrySite? Analyze(IInvocationOperation delay, IOperation delayArgument, RetrySymbols symbols)
    {
        if (InAnyLoopOrFunction(delay) ||
            delay.SemanticModel?.GetEnclosingSymbol(delay.Syntax.SpanStart) is not IMethodSymbol { MethodKind: MethodKind.Ordinary } helper)
        {
            return null;
        }

        if (!CalledDirectly(helper) || !IsSmall(delay.Root()) || helper.DeclaredAccessibility != Accessibility.Private && !HasAWaitName(helper))
        {
            return null;
        }

        if (delay.SemanticModel is { } model)
        {
            _models.TryAdd(model.SyntaxTree, model); // the driver's model of this tree: its bound calls are cached
        }

        var callers = RetryCallers(helper.OriginalDefinition, symbols);
        if (callers.Count == 0)
        {
            return null;
        }

        // Each retry caller binds the helper's parameters; the classes of all callers combine (unknown or jittered wins).
        DelayClass? combined = null;
        foreach (var (call, loop) in callers)
        {
            var callerScope = new AttemptScope(loop, HandWrittenRetryLoops.LoopCounter(loop), containingLambda: null);
            var parameters = new Dictionary<IParameterSymbol, DelayClass>(SymbolEqualityComparer.Default);
            foreach (var argument in call.Arguments)
            {
                if (argument.Parameter is { } parameter)
                {
                    parameters[parameter.OriginalDefinition] = argument.ArgumentKind == ArgumentKind.DefaultValue
                        ? DelayClass.ConstantUnknownValue
                        : DelayClassifier.Classify(argument.Value, callerScope, symbols);
                }
            }

            var helperScope = new AttemptScope(delay.Root(), attemptSymbol: null, containingLambda: null, parameters);
            var delayClass = DelayClassifier.Classify(delayArgument, helperScope, symbols);
            combined = combined?.CombineWith(delayClass) ?? delayClass;
        }

        var result = combined!.Value;
        return new RetrySite(RetryShape.HelperWait, result, delay.Syntax.GetLocation(), RetrySite.Describe(result.Value, delayArgument.Syntax));
    }

    /// <summary>
    /// A method whose calls name it: not virtual, abstract or an override, and not one that an interface of its type
    /// declares (a call through the interface binds to the interface member, so such helpers are not followed; this
    /// also spares binding the many calls to interface methods that test doubles implement with a delay).
    /// </summary>
    private static bool CalledDirectly(IMethodSymbol helper)
    {
        if (helper.IsVirtual || helper.IsAbstract || helper.IsOverride || !helper.ExplicitInterfaceImplementations.IsEmpty)
        {
            return false;
        }

        foreach (var implemented in helper.ContainingType.AllInterfaces)
        {
            if (!implemented.GetMembers(helper.Name).IsEmpty)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A wait helper does little besides waiting: an expression body, or a block of at most <see cref="MaxHelperStatements"/>
    /// statements (say a log line, a computed delay, the wait). A method that does more work and then waits is not one, and
    /// most methods that wait are not helpers, so this keeps the compilation-wide search for callers rare.
    /// </summary>
    private static bool IsSmall(IOperation body)
    {
        var block = body is IMethodBodyOperation method ? method.BlockBody ?? method.ExpressionBody : body as IBlockOperation;
        return block is not null && block.Operations.Length <= MaxHelperStatements;
    }

    /// <summary>Inside a loop (its own retry or polling loop decides), a lambda or a local function: not a helper's wait.</summary>
    private static bool InAnyLoopOrFunction(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is ILoopOperation or IAnonymousFunctionOperation or ILocalFunctionOperation)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The calls of <paramref name="helper"/> that are the wait of a retry loop (reached after a failure), each with its loop.</summary>
    private List<(IInvocationOperation Call, ILoopOperation Loop)> RetryCallers(IMethodSymbol helper, RetrySymbols symbols)
        => _retryCallers.GetOrAdd(helper, method =>
        {
            var found = new List<(IInvocationOperation, ILoopOperation)>();
            var calls = method.DeclaredAccessibility == Accessibility.Private
                ? _callsInLoopsOfType.GetOrAdd(method.ContainingType, static type => IndexCallsInLoops(TypeRoots(type)))
                : _callsInLoops.Value;
            if (!calls.TryGetValue(method.Name, out var candidates))
            {
                return found;
            }

            foreach (var syntax in candidates)
            {
                if (!ArityFits(syntax, method))
                {
                    continue; // another overload or another method of that name: not worth binding
                }

                if (Model(syntax.SyntaxTree).GetOperation(syntax) is IInvocationOperation call &&
                    SymbolEqualityComparer.Default.Equals(call.TargetMethod.OriginalDefinition, method) &&
                    HandWrittenRetryLoops.RetryLoopOf(call, symbols) is { } loop)
                {
                    found.Add((call, loop));
                }
            }

            return found;
        });

    // One semantic model per tree, so the callers of several helpers in one file are bound once.
    private SemanticModel Model(SyntaxTree tree)
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() within a diagnostic analyzer: the callers live in other members and files
        => _models.GetOrAdd(tree, t => _compilation.GetSemanticModel(t));
#pragma warning restore RS1030

    private static bool ArityFits(InvocationExpressionSyntax syntax, IMethodSymbol method)
    {
        var count = syntax.ArgumentList.Arguments.Count;
        var required = 0;
        foreach (var parameter in method.Parameters)
        {
            if (parameter.IsParams)
            {
                return count >= required;
            }

            required += parameter.IsOptional ? 0 : 1;
        }

        return count >= required && count <= method.Parameters.Length;
    }

    /// <summary>
    /// A helper callers elsewhere may use is searched for across the compilation only when its name says it waits
    /// (<c>WaitAsync</c>, <c>DelayAsync</c>, <c>BackoffAsync</c>, <c>Sleep</c>, <c>PauseAsync</c>): binding every call of a common name
    /// (<c>GetAsync</c>) in every loop of a large code base to find retry callers cost seconds. A private helper is searched
    /// for in its own type only, whatever its name.
    /// </summary>
    private static bool HasAWaitName(IMethodSymbol helper)
    {
        foreach (var word in WaitWords)
        {
            if (helper.Name.IndexOf(word, StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<SyntaxNode> AllRoots(Compilation compilation)
    {
        foreach (var tree in compilation.SyntaxTrees)
        {
            yield return tree.GetRoot();
        }
    }

    private static IEnumerable<SyntaxNode> TypeRoots(INamedTypeSymbol type)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            yield return reference.GetSyntax();
        }
    }

    /// <summary>
    /// Every invocation under <paramref name="roots"/> inside a <c>for</c>/<c>while</c>/<c>do</c> statement that could follow a
    /// failure (in a <c>catch</c>, under an <c>if</c>, or after a <c>try</c> or an <c>if</c> in its block), by the name it calls.
    /// </summary>
    private static Dictionary<string, List<InvocationExpressionSyntax>> IndexCallsInLoops(IEnumerable<SyntaxNode> roots)
    {
        var index = new Dictionary<string, List<InvocationExpressionSyntax>>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            // The outermost loops, then everything inside them: each node is visited once.
            foreach (var node in root.DescendantNodes(static n => !IsLoop(n)))
            {
                if (!IsLoop(node))
                {
                    continue;
                }

                var firstGates = new Dictionary<BlockSyntax, int>();
                foreach (var invocation in node.DescendantNodes())
                {
                    if (invocation is InvocationExpressionSyntax call && CalledName(call.Expression) is { } name && MayFollowFailure(call, node, firstGates))
                    {
                        if (!index.TryGetValue(name, out var list))
                        {
                            index[name] = list = new List<InvocationExpressionSyntax>();
                        }

                        list.Add(call);
                    }
                }
            }
        }

        return index;
    }

    // The syntax shapes IsAfterFailure accepts, checked cheaply: each block's first try/if statement is found once.
    private static bool MayFollowFailure(SyntaxNode call, SyntaxNode loop, Dictionary<BlockSyntax, int> firstGates)
    {
        SyntaxNode child = call;
        for (var current = call.Parent; current is not null && current != loop; child = current, current = current.Parent)
        {
            switch (current)
            {
                case CatchClauseSyntax or IfStatementSyntax:
                    return true;
                case BlockSyntax block:
                    if (!firstGates.TryGetValue(block, out var gate))
                    {
                        gate = int.MaxValue;
                        foreach (var statement in block.Statements)
                        {
                            if (statement is TryStatementSyntax or IfStatementSyntax)
                            {
                                gate = statement.SpanStart;
                                break;
                            }
                        }

                        firstGates[block] = gate;
                    }

                    if (gate < child.SpanStart)
                    {
                        return true;
                    }

                    break;
            }
        }

        return false;
    }

    private static bool IsLoop(SyntaxNode node) => node is ForStatementSyntax or WhileStatementSyntax or DoStatementSyntax;

    private static string? CalledName(ExpressionSyntax expression) => expression switch
    {
        SimpleNameSyntax name => name.Identifier.ValueText,
        MemberAccessExpressionSyntax member => member.Name.Identifier.ValueText,
        MemberBindingExpressionSyntax binding => binding.Name.Identifier.ValueText,
        _ => null,
    };
}
