using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>What a piece of code does with a provider.</summary>
internal enum ProviderReach
{
    /// <summary>No provider call found.</summary>
    None,

    /// <summary>Calls a provider (an LLM SDK client, an HttpClient send) directly or through methods of the compilation.</summary>
    Calls,

    /// <summary>Calls a provider, but behind a gate: a semaphore, a rate limiter or the runtime's token budget.</summary>
    Gated,
}

/// <summary>
/// Finds provider calls in a body, following calls into methods of the same compilation up to <see cref="MaxDepth"/>
/// hops (a call to the application's own interface member or abstract/virtual method into its source implementations,
/// see <see cref="Implementations"/>). Each method's body is bound once into a summary (a gate, a provider call, the
/// methods it calls); the reach per method and hops left is computed from the summaries (one instance per compilation).
/// Every answer is a pure function of the bodies and the hops left — no temporary entries, no recursion guard whose
/// result depends on which caller came first — so every analysis order and thread gives the same diagnostics.
/// </summary>
internal sealed class ProviderCalls
{
    private const int MaxDepth = 3;

    // Provider-neutral LLM abstractions: every call through them is a call to some provider.
    private static readonly string[] AbstractionTypes =
    {
        "Microsoft.Extensions.AI.IChatClient",
        "Microsoft.Extensions.AI.IEmbeddingGenerator",
        "Microsoft.Extensions.AI.ChatClientExtensions",
        "Microsoft.Extensions.AI.EmbeddingGeneratorExtensions",
        "Microsoft.SemanticKernel.ChatCompletion.IChatCompletionService",
        "Microsoft.SemanticKernel.ChatCompletion.ChatCompletionServiceExtensions",
        "Microsoft.SemanticKernel.TextGeneration.ITextGenerationService",
        "Microsoft.SemanticKernel.Embeddings.ITextEmbeddingGenerationService",
    };

    private readonly Compilation _compilation;
    private readonly Implementations _implementations;
    // What each method's own body does, bound once per method whatever the hops left when it is reached.
    private readonly ConcurrentDictionary<IMethodSymbol, BodySummary> _bodies = new(SymbolEqualityComparer.Default);
    // _methods[h]: the reach of a method when calls in its body may be followed h more hops (from the summaries only).
    private readonly ConcurrentDictionary<IMethodSymbol, ProviderReach>[] _methods = new ConcurrentDictionary<IMethodSymbol, ProviderReach>[MaxDepth];

    public ProviderCalls(Compilation compilation)
    {
        _compilation = compilation;
        _implementations = new Implementations(compilation);
        for (var hops = 0; hops < MaxDepth; hops++)
        {
            _methods[hops] = new ConcurrentDictionary<IMethodSymbol, ProviderReach>(SymbolEqualityComparer.Default);
        }
    }

    /// <summary>What <paramref name="body"/> (a lambda body, an added task, a method body) does with a provider.</summary>
    public ProviderReach Reach(IOperation body)
    {
        // The fan-out's own body: a request to the item's own URL is no provider call, and calls dispatched on the
        // item (a component) are not followed into implementations. Bodies reached from it get neither exception.
        var calls = false;
        foreach (var invocation in Invocations(body))
        {
            var method = invocation.TargetMethod;
            var provider = IsProviderCall(method);
            if (IsGate(method) || (provider && IsBudgetedClient(invocation.Instance)))
            {
                return ProviderReach.Gated;
            }

            calls = calls ||
                    (provider && !ToTheItemsOwnUrl(invocation)) ||
                    CalleeCalls(method, MaxDepth - 1, followImplementations: !DispatchedOnTheItem(invocation));
        }

        return calls ? ProviderReach.Calls : ProviderReach.None;
    }

    private static IEnumerable<IInvocationOperation> Invocations(IOperation body)
    {
        foreach (var operation in body.DescendantsAndSelf())
        {
            if (operation is IInvocationOperation invocation)
            {
                yield return invocation;
            }
        }
    }

    /// <summary>An LLM SDK client method, or an HttpClient send.</summary>
    public bool IsProviderCall(IMethodSymbol method)
    {
        var type = method.ContainingType;
        if (type is null)
        {
            return false;
        }

        if (MetadataNames.Is(type, KnownTypes.HttpClientJsonExtensions))
        {
            return true;
        }

        if (MetadataNames.InheritsFrom(type, KnownTypes.HttpMessageInvoker))
        {
            return method.Name is "Send" or "SendAsync" or "GetAsync" or "PostAsync" or "PutAsync" or "PatchAsync" or "DeleteAsync" or
                "GetStringAsync" or "GetByteArrayAsync" or "GetStreamAsync";
        }

        var ns = type.ContainingNamespace?.ToDisplayString() ?? string.Empty;
        if (Array.IndexOf(AbstractionTypes, ns + "." + type.Name) >= 0)
        {
            return true;
        }

        return !method.IsStatic && ProviderClients.Is(type);
    }

    // http.GetStringAsync(url) / GetAsync(file.Url) with the URL taken from the fan-out's item (a lambda parameter or a
    // foreach variable, or one of its members): one request to each item's own host (downloads, a crawl), not calls to
    // one provider's rate limit. A fixed endpoint, or a path under the client's base address, stays a provider call.
    private static bool ToTheItemsOwnUrl(IInvocationOperation invocation)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Name != "requestUri")
            {
                continue;
            }

            // url, file.Url, new Uri(url), new Uri(url).AbsoluteUri: the item itself.
            var value = argument.Value.WithoutConversions();
            while (value is IPropertyReferenceOperation { Instance: { } } or IObjectCreationOperation { Type.Name: "Uri", Arguments.Length: 1 })
            {
                value = (value is IPropertyReferenceOperation property ? property.Instance! : ((IObjectCreationOperation)value).Arguments[0].Value).WithoutConversions();
            }

            return IsTheItem(value);
        }

        return false;
    }

    // providers.Select(p => p.InvokingAsync(…)), foreach (var agent in agents) tasks.Add(agent.RunAsync(…)): the items
    // are the components (agents, channels, context providers, plug-ins), each running its own implementation once; how
    // many there are is configuration, not data. Their implementations are not followed (a non-virtual body still is).
    private static bool DispatchedOnTheItem(IInvocationOperation invocation)
        => invocation.Instance is { } instance && IsTheItem(instance.WithoutConversions());

    // A lambda parameter or a foreach variable: the fan-out's item.
    private static bool IsTheItem(IOperation value) => value switch
    {
        IParameterReferenceOperation { Parameter.ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.AnonymousFunction } } => true,
        ILocalReferenceOperation local => local.Local.DeclaringSyntaxReferences.Length == 1 &&
                                          local.Local.DeclaringSyntaxReferences[0].GetSyntax() is ForEachStatementSyntax,
        _ => false,
    };

    // A client built on the runtime's budget: SharedProviderBudget.HttpClient, or a field, property or local initialized
    // with a ProviderResilienceHandler that has a Budget, or with anything on SharedProviderBudget (an SDK client whose
    // transport is SharedProviderBudget.HttpClient). Its calls already wait for the shared token budget.
    private static bool IsBudgetedClient(IOperation? instance)
    {
        var receiver = instance?.WithoutConversions();
        if (receiver is IPropertyReferenceOperation { Property.ContainingType.Name: "SharedProviderBudget" })
        {
            return true;
        }

        var initializer = receiver switch
        {
            ILocalReferenceOperation local => LocalInitializers.Find(local.Local, local)?.Syntax,
            IFieldReferenceOperation field => DeclaredInitializer(field.Field),
            IPropertyReferenceOperation property => DeclaredInitializer(property.Property),
            _ => null,
        };
        if (initializer is null)
        {
            return false;
        }

        var text = initializer.ToString();
        return text.Contains("SharedProviderBudget") ||
               (text.Contains("ProviderResilienceHandler") && text.Contains("Budget"));
    }

    private static SyntaxNode? DeclaredInitializer(ISymbol member)
    {
        foreach (var reference in member.DeclaringSyntaxReferences)
        {
            switch (reference.GetSyntax())
            {
                case VariableDeclaratorSyntax { Initializer: { } initializer }:
                    return initializer.Value;
                case PropertyDeclarationSyntax { Initializer: { } initializer }:
                    return initializer.Value;
            }
        }

        return null;
    }

    private static bool IsGate(IMethodSymbol method)
    {
        var type = method.ContainingType;
        return (method.Name is "WaitAsync" or "Wait" && MetadataNames.Is(type, KnownTypes.SemaphoreSlim)) ||
               (method.Name is "AcquireAsync" or "AttemptAcquire" or "AcquireTokensAsync" or "TryAcquire" && MetadataNames.InheritsFrom(type, KnownTypes.RateLimiter)); // the runtime's budgets (TokenBudget, RedisTokenBudget) are RateLimiters
    }

    // The method's own body, or (an interface member, an abstract or virtual method of the application) one of the
    // implementations and overrides in the compilation, calls a provider ungated.
    private bool CalleeCalls(IMethodSymbol method, int hopsLeft, bool followImplementations = true)
    {
        if (ReachOfSourceMethod(method, hopsLeft) == ProviderReach.Calls)
        {
            return true;
        }

        if (!followImplementations)
        {
            return false;
        }

        foreach (var implementation in _implementations.Of(method))
        {
            if (ReachOfSourceMethod(implementation, hopsLeft) == ProviderReach.Calls)
            {
                return true;
            }
        }

        return false;
    }

    // Hops strictly decrease on every call followed, so recursion (even mutual) ends without a guard. Two threads may
    // compute the same entry at once: both get the same answer, so either may win.
    private ProviderReach ReachOfSourceMethod(IMethodSymbol method, int hopsLeft)
    {
        method = method.OriginalDefinition;
        if (method.DeclaringSyntaxReferences.IsEmpty || method.IsAbstract)
        {
            return ProviderReach.None;
        }

        return _methods[hopsLeft].GetOrAdd(method, m => ComputeReach(Summary(m), hopsLeft));
    }

    private ProviderReach ComputeReach(BodySummary summary, int hopsLeft)
    {
        if (summary.Gated)
        {
            return ProviderReach.Gated;
        }

        if (summary.CallsProvider)
        {
            return ProviderReach.Calls;
        }

        if (hopsLeft > 0)
        {
            foreach (var callee in summary.Callees)
            {
                if (CalleeCalls(callee, hopsLeft - 1))
                {
                    return ProviderReach.Calls;
                }
            }
        }

        return ProviderReach.None;
    }

    private BodySummary Summary(IMethodSymbol method) => _bodies.GetOrAdd(method, Summarize);

    private BodySummary Summarize(IMethodSymbol method)
    {
        var gated = false;
        var callsProvider = false;
        var callees = new List<IMethodSymbol>();
        var seen = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            var syntax = reference.GetSyntax();
            SyntaxNode? body = syntax switch
            {
                BaseMethodDeclarationSyntax declaration => (SyntaxNode?)declaration.Body ?? declaration.ExpressionBody,
                LocalFunctionStatementSyntax local => (SyntaxNode?)local.Body ?? local.ExpressionBody,
                _ => null,
            };
            if (body is null || !_compilation.ContainsSyntaxTree(body.SyntaxTree))
            {
                continue;
            }

            // Following a call into another method needs that method's semantic model; each body is bound once.
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() within a diagnostic analyzer
            var model = _compilation.GetSemanticModel(body.SyntaxTree);
#pragma warning restore RS1030
            if (model.GetOperation(body) is not { } operation)
            {
                continue;
            }

            foreach (var invocation in Invocations(operation))
            {
                var callee = invocation.TargetMethod;
                var provider = IsProviderCall(callee);
                gated |= IsGate(callee) || (provider && IsBudgetedClient(invocation.Instance));
                callsProvider |= provider;
                if (!provider && seen.Add(callee.OriginalDefinition))
                {
                    callees.Add(callee.OriginalDefinition);
                }
            }
        }

        return new BodySummary(gated, callsProvider, callees.ToArray());
    }

    /// <summary>What one method's own body does: a gate anywhere in it, a provider call, and the methods it calls.</summary>
    private sealed record BodySummary(bool Gated, bool CallsProvider, IMethodSymbol[] Callees);
}
