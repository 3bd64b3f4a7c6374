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
/// Finds provider calls in a body, following calls into methods of the same compilation to a bounded depth, with a
/// cache per method (one instance per compilation).
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
    private readonly INamedTypeSymbol? _httpMessageInvoker;
    private readonly INamedTypeSymbol? _httpClientJson;
    private readonly INamedTypeSymbol? _semaphoreSlim;
    private readonly INamedTypeSymbol? _rateLimiter;
    private readonly INamedTypeSymbol? _tokenBudget;
    private readonly ConcurrentDictionary<IMethodSymbol, ProviderReach> _methods = new(SymbolEqualityComparer.Default);

    public ProviderCalls(Compilation compilation)
    {
        _compilation = compilation;
        _httpMessageInvoker = compilation.GetTypeByMetadataName(KnownTypes.HttpMessageInvoker);
        _httpClientJson = compilation.GetTypeByMetadataName(KnownTypes.HttpClientJsonExtensions);
        _semaphoreSlim = compilation.GetTypeByMetadataName(KnownTypes.SemaphoreSlim);
        _rateLimiter = compilation.GetTypeByMetadataName(KnownTypes.RateLimiter);
        _tokenBudget = compilation.GetTypeByMetadataName(KnownTypes.RuntimeTokenBudget);
    }

    /// <summary>What <paramref name="body"/> (a lambda body, an added task, a method body) does with a provider.</summary>
    public ProviderReach Reach(IOperation body) => Reach(body, depth: 0);

    private ProviderReach Reach(IOperation body, int depth)
    {
        var calls = false;
        foreach (var operation in body.DescendantsAndSelf())
        {
            if (operation is not IInvocationOperation invocation)
            {
                continue;
            }

            var method = invocation.TargetMethod;
            if (IsGate(method))
            {
                return ProviderReach.Gated;
            }

            if (!calls)
            {
                calls = IsProviderCall(method) || (depth < MaxDepth && ReachOfSourceMethod(method, depth + 1) == ProviderReach.Calls);
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

        if (SymbolEqualityComparer.Default.Equals(type, _httpClientJson))
        {
            return true;
        }

        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, _httpMessageInvoker))
            {
                return method.Name is "Send" or "SendAsync" or "GetAsync" or "PostAsync" or "PutAsync" or "PatchAsync" or "DeleteAsync" or
                    "GetStringAsync" or "GetByteArrayAsync" or "GetStreamAsync";
            }
        }

        var ns = type.ContainingNamespace?.ToDisplayString() ?? string.Empty;
        if (Array.IndexOf(AbstractionTypes, ns + "." + type.Name) >= 0)
        {
            return true;
        }

        return !method.IsStatic && ProviderClients.Is(type);
    }

    private bool IsGate(IMethodSymbol method)
    {
        var type = method.ContainingType;
        return (method.Name is "WaitAsync" or "Wait" && SymbolEqualityComparer.Default.Equals(type, _semaphoreSlim)) ||
               (method.Name is "AcquireAsync" or "AttemptAcquire" && InheritsFrom(type, _rateLimiter)) ||
               (method.Name is "AcquireTokensAsync" or "TryAcquire" && SymbolEqualityComparer.Default.Equals(type, _tokenBudget));
    }

    private static bool InheritsFrom(INamedTypeSymbol? type, INamedTypeSymbol? baseType)
    {
        for (var current = type; current is not null && baseType is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, baseType))
            {
                return true;
            }
        }

        return false;
    }

    private ProviderReach ReachOfSourceMethod(IMethodSymbol method, int depth)
    {
        method = method.OriginalDefinition;
        if (method.DeclaringSyntaxReferences.IsEmpty || method.IsAbstract)
        {
            return ProviderReach.None;
        }

        if (_methods.TryGetValue(method, out var known))
        {
            return known;
        }

        _methods[method] = ProviderReach.None; // recursion guard while computing
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
            // method and the depth is bounded, so each method body is bound at most once per compilation.
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel() within a diagnostic analyzer
            var model = _compilation.GetSemanticModel(body.SyntaxTree);
#pragma warning restore RS1030
            if (model.GetOperation(body) is { } operation)
            {
                reach = Reach(operation, depth);
            }
        }

        _methods[method] = reach;
        return reach;
    }
}
