using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RetryAnalyzers.Runtime.AI;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> middleware that runs every call through the runtime's provider
/// pipeline (budget → jittered retry honouring Retry-After → gate), as <see cref="ProviderResilienceChatClient"/> does, and
/// reconciles the budget with <see cref="GeneratedEmbeddings{TEmbedding}.Usage"/>. The default estimate is a string
/// input's length / 4, one token for any other input.
/// </summary>
/// <typeparam name="TInput">The input type.</typeparam>
/// <typeparam name="TEmbedding">The embedding type.</typeparam>
public sealed class ProviderResilienceEmbeddingGenerator<TInput, TEmbedding> : DelegatingEmbeddingGenerator<TInput, TEmbedding>
    where TEmbedding : Embedding
{
    private readonly ProviderPipeline<GeneratedEmbeddings<TEmbedding>> _pipeline;
    private readonly ProviderTokenBudget? _budget;
    private readonly Func<IEnumerable<TInput>, long> _estimateTokens;

    /// <summary>Wraps <paramref name="innerGenerator"/>.</summary>
    /// <param name="innerGenerator">The generator that calls the provider.</param>
    /// <param name="options">Budget, retry, breaker and metrics settings; validated and copied here.</param>
    /// <param name="estimateTokens">A call's cost in tokens; default: a string's length / 4 (at least 1) per input.</param>
    /// <exception cref="ArgumentNullException"><paramref name="innerGenerator"/> or <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public ProviderResilienceEmbeddingGenerator(IEmbeddingGenerator<TInput, TEmbedding> innerGenerator, ProviderResilienceOptions options, Func<IEnumerable<TInput>, long>? estimateTokens = null)
        : base(innerGenerator)
    {
        _pipeline = ProviderPipeline.Create<GeneratedEmbeddings<TEmbedding>>(options ?? throw new ArgumentNullException(nameof(options)));
        _budget = options.Budget;
        _estimateTokens = estimateTokens ?? (values => values.Sum(value => Math.Max(1, ((value as string)?.Length ?? 0) / 4)));
    }

    /// <summary>Where a call that failed after the pipeline gave it up is logged, as <see cref="ProviderResilienceChatClient.Logger"/>; default none.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <inheritdoc />
    public override async Task<GeneratedEmbeddings<TEmbedding>> GenerateAsync(IEnumerable<TInput> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = values as IList<TInput> ?? (values ?? throw new ArgumentNullException(nameof(values))).ToList();
        var tokens = _budget is null ? 0 : _estimateTokens(list);
        var embeddings = await _pipeline.ExecuteAsync(
            async token => await base.GenerateAsync(list, options, token).ConfigureAwait(false),
            tokens,
            cancellationToken).Logged(Logger, "GenerateAsync", cancellationToken).ConfigureAwait(false);
        if (_budget is not null && tokens > 0 && ProviderResilienceChatClient.Used(embeddings.Usage) is { } used)
        {
            _budget.Reconcile(tokens, used);
        }

        return embeddings;
    }
}
