using System;
using System.Collections.Generic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace RetryAnalyzers.Runtime.AI;

/// <summary>Adds <see cref="ProviderResilienceChatClient"/> to a <see cref="ChatClientBuilder"/>.</summary>
public static class ProviderResilienceChatClientBuilderExtensions
{
    /// <summary>
    /// Runs the client's calls through the provider pipeline:
    /// <c>new ChatClientBuilder(inner).UseProviderResilience(new ProviderResilienceOptions { Budget = budget }).Build()</c>.
    /// Put it outermost (first), so that one budgeted call covers the layers under it. Its logger comes from the
    /// builder's services (<see cref="ILoggerFactory"/>), as <c>UseLogging</c>'s does.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="options">Budget, retry, breaker and metrics settings; validated and copied when the client is built.</param>
    /// <param name="estimateTokens">A call's cost in tokens; default <see cref="ProviderResilienceChatClient.EstimateTokens"/>.</param>
    /// <param name="configure">Called with the client once it is created, or null.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientBuilder UseProviderResilience(
        this ChatClientBuilder builder,
        ProviderResilienceOptions options,
        Func<IEnumerable<ChatMessage>, ChatOptions?, long>? estimateTokens = null,
        Action<ProviderResilienceChatClient>? configure = null)
    {
        if (builder is null)
        {
            throw new ArgumentNullException(nameof(builder));
        }

        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }

        return builder.Use((inner, services) =>
        {
            var client = new ProviderResilienceChatClient(inner, options, estimateTokens);
            if (Logging.From(services) is { } logger)
            {
                client.Logger = logger;
            }

            configure?.Invoke(client);
            return client;
        });
    }
}

/// <summary>Adds <see cref="ProviderResilienceEmbeddingGenerator{TInput, TEmbedding}"/> to an <see cref="EmbeddingGeneratorBuilder{TInput, TEmbedding}"/>.</summary>
public static class ProviderResilienceEmbeddingGeneratorBuilderExtensions
{
    /// <summary>Runs the generator's calls through the provider pipeline (budget, Retry-After-aware retry, gate).</summary>
    /// <typeparam name="TInput">The input type.</typeparam>
    /// <typeparam name="TEmbedding">The embedding type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="options">Budget, retry, breaker and metrics settings; validated and copied when the generator is built.</param>
    /// <param name="estimateTokens">A call's cost in tokens, or null for the default.</param>
    /// <param name="configure">Called with the generator once it is created, or null.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static EmbeddingGeneratorBuilder<TInput, TEmbedding> UseProviderResilience<TInput, TEmbedding>(
        this EmbeddingGeneratorBuilder<TInput, TEmbedding> builder,
        ProviderResilienceOptions options,
        Func<IEnumerable<TInput>, long>? estimateTokens = null,
        Action<ProviderResilienceEmbeddingGenerator<TInput, TEmbedding>>? configure = null)
        where TEmbedding : Embedding
    {
        if (builder is null)
        {
            throw new ArgumentNullException(nameof(builder));
        }

        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }

        return builder.Use((inner, services) =>
        {
            var generator = new ProviderResilienceEmbeddingGenerator<TInput, TEmbedding>(inner, options, estimateTokens);
            if (Logging.From(services) is { } logger)
            {
                generator.Logger = logger;
            }

            configure?.Invoke(generator);
            return generator;
        });
    }
}

/// <summary>The middleware's logger from the builder's services, as the built-in <c>UseLogging</c> takes it.</summary>
internal static class Logging
{
    public const string Category = "RetryAnalyzers.Runtime.AI.ProviderResilience";

    public static ILogger? From(IServiceProvider services)
        => (services.GetService(typeof(ILoggerFactory)) as ILoggerFactory)?.CreateLogger(Category);
}
