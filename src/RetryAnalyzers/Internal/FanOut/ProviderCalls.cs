using System;
using System.Collections.Concurrent;
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
/// see <see cref="Implementations"/>), with a cache per method and hops left (one instance per compilation). A method's answer is a pure function of
/// its body and the hops left — no temporary entries, no recursion guard whose result depends on which caller came
/// first — so every analysis order and thread gives the same diagnostics.
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
    // _methods[h]: the reach of a method's body when calls in it may be followed h more hops.
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
    public ProviderReach Reach(IOperation body) => Reach(body, hopsLeft: MaxDepth);

    // Hops strictly decrease on every call followed, so recursion (even mutual) ends without a guard.
    private ProviderReach Reach(IOperation body, int hopsLeft)
    {
        var calls = false;
        foreach (var operation in body.DescendantsAndSelf())
        {
            if (operation is not IInvocationOperation invocation)
            {
                continue;
            }

            var method = invocation.TargetMethod;
            var provider = IsProviderCall(method);
            if (IsGate(method) || (provider && IsBudgetedClient(invocation.Instance)))
            {
                return ProviderReach.Gated;
            }

            if (!calls)
            {
                calls = (provider && !(hopsLeft == MaxDepth && ToTheItemsOwnUrl(invocation))) ||
                        (hopsLeft > 0 && CalleeCalls(method, hopsLeft - 1, followImplementations: !(hopsLeft == MaxDepth && DispatchedOnTheItem(invocation))));
            }
        }

        return calls ? ProviderReach.Calls : ProviderReach.None;
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
               (method.Name is "AcquireAsync" or "AttemptAcquire" && MetadataNames.InheritsFrom(type, KnownTypes.RateLimiter)) ||
               (method.Name is "AcquireTokensAsync" or "TryAcquire" && MetadataNames.Is(type, KnownTypes.RuntimeTokenBudget));
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

    private ProviderReach ReachOfSourceMethod(IMethodSymbol method, int hopsLeft)
    {
        method = method.OriginalDefinition;
        if (method.DeclaringSyntaxReferences.IsEmpty || method.IsAbstract)
        {
            return ProviderReach.None;
        }

        // Two threads may compute the same entry at once: both get the same answer, so either may win.
        return _methods[hopsLeft].GetOrAdd(method, m => ComputeReach(m, hopsLeft));
    }

    private ProviderReach ComputeReach(IMethodSymbol method, int hopsLeft)
    {
        var reach = ProviderReach.None;
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

            // Following a call into another method needs that method's semantic model. The result is cached per
            // method and hops left (at most MaxDepth entries a method), so each body is bound a bounded number of times.
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() within a diagnostic analyzer
            var model = _compilation.GetSemanticModel(body.SyntaxTree);
#pragma warning restore RS1030
            if (model.GetOperation(body) is { } operation && Reach(operation, hopsLeft) is var found && found != ProviderReach.None)
            {
                reach = found;
            }
        }

        return reach;
    }
}
