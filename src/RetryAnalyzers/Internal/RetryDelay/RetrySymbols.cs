using Microsoft.CodeAnalysis;

namespace RetryAnalyzers.Internal;

/// <summary>The symbols the retry rules need, resolved once per compilation.</summary>
internal sealed class RetrySymbols
{
    private RetrySymbols(Compilation compilation)
    {
        Compilation = compilation;
        PollyRetrySyntaxTypes = new[]
        {
            compilation.GetTypeByMetadataName(KnownTypes.PollyRetrySyntax),
            compilation.GetTypeByMetadataName(KnownTypes.PollyAsyncRetrySyntax),
            compilation.GetTypeByMetadataName(KnownTypes.PollyRetryTResultSyntax),
            compilation.GetTypeByMetadataName(KnownTypes.PollyAsyncRetryTResultSyntax),
        };
        RetryStrategyOptions = compilation.GetTypeByMetadataName(KnownTypes.PollyRetryStrategyOptions);
        RetryStrategyOptionsOfT = compilation.GetTypeByMetadataName(KnownTypes.PollyRetryStrategyOptionsOfT);
        DelayBackoffType = compilation.GetTypeByMetadataName(KnownTypes.PollyDelayBackoffType);
        ContribBackoff = compilation.GetTypeByMetadataName(KnownTypes.ContribBackoff);
        Task = compilation.GetTypeByMetadataName(KnownTypes.Task);
        Thread = compilation.GetTypeByMetadataName(KnownTypes.Thread);
        TimeSpan = compilation.GetTypeByMetadataName(KnownTypes.TimeSpan);
        Math = compilation.GetTypeByMetadataName(KnownTypes.Math);
        Random = compilation.GetTypeByMetadataName(KnownTypes.Random);
        RandomNumberGenerator = compilation.GetTypeByMetadataName(KnownTypes.RandomNumberGenerator);
        HttpResponseMessage = compilation.GetTypeByMetadataName(KnownTypes.HttpResponseMessage);
        HttpStatusCode = compilation.GetTypeByMetadataName(KnownTypes.HttpStatusCode);
        CancellationToken = compilation.GetTypeByMetadataName(KnownTypes.CancellationToken);
        OperationCanceledException = compilation.GetTypeByMetadataName(KnownTypes.OperationCanceledException);
        WaitHelpers = new WaitHelpers(compilation);
    }

    /// <summary>Waits in helper methods that retry loops call; built lazily, once per compilation.</summary>
    public WaitHelpers WaitHelpers { get; }

    public Compilation Compilation { get; }
    public INamedTypeSymbol?[] PollyRetrySyntaxTypes { get; }
    public INamedTypeSymbol? RetryStrategyOptions { get; }
    public INamedTypeSymbol? RetryStrategyOptionsOfT { get; }
    public INamedTypeSymbol? DelayBackoffType { get; }
    public INamedTypeSymbol? ContribBackoff { get; }
    public INamedTypeSymbol? Task { get; }
    public INamedTypeSymbol? Thread { get; }
    public INamedTypeSymbol? TimeSpan { get; }
    public INamedTypeSymbol? Math { get; }
    public INamedTypeSymbol? Random { get; }
    public INamedTypeSymbol? RandomNumberGenerator { get; }
    public INamedTypeSymbol? HttpResponseMessage { get; }
    public INamedTypeSymbol? HttpStatusCode { get; }
    public INamedTypeSymbol? CancellationToken { get; }
    public INamedTypeSymbol? OperationCanceledException { get; }

    /// <summary>Returns null when the compilation has none of the retry APIs, so the analyzer registers nothing.</summary>
    public static RetrySymbols? TryCreate(Compilation compilation)
    {
        var symbols = new RetrySymbols(compilation);
        return symbols.TimeSpan is null ? null : symbols;
    }

    public bool IsPollyV7RetrySyntax(INamedTypeSymbol type)
    {
        foreach (var candidate in PollyRetrySyntaxTypes)
        {
            if (SymbolEqualityComparer.Default.Equals(candidate, type))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True for <c>RetryStrategyOptions</c>, <c>RetryStrategyOptions&lt;T&gt;</c> and their subclasses.</summary>
    public bool IsRetryStrategyOptions(ITypeSymbol? type, out bool exactPollyType)
    {
        exactPollyType = false;
        for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            var definition = current.OriginalDefinition;
            if (SymbolEqualityComparer.Default.Equals(definition, RetryStrategyOptions) ||
                SymbolEqualityComparer.Default.Equals(definition, RetryStrategyOptionsOfT))
            {
                exactPollyType = ReferenceEquals(current, type);
                return true;
            }
        }

        return false;
    }

    /// <summary>True for <c>OperationCanceledException</c> and its subclasses (<c>TaskCanceledException</c>).</summary>
    public bool IsCancellation(ITypeSymbol? type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, OperationCanceledException))
            {
                return true;
            }
        }

        return false;
    }

    public bool IsRandomSource(ITypeSymbol? type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, Random) ||
                SymbolEqualityComparer.Default.Equals(current, RandomNumberGenerator))
            {
                return true;
            }
        }

        return false;
    }
}
