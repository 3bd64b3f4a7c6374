using System.Diagnostics.CodeAnalysis;
using Polly;
using Polly.Retry;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>Adds a jittered exponential retry to a Polly v8 pipeline.</summary>
public static class JitteredRetryPipelineBuilderExtensions
{
    /// <summary>Adds a retry with <see cref="JitteredRetryStrategyOptions"/> (exponential backoff with jitter, capped).</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="options">The options (copied: later changes to them change nothing); null uses the defaults.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="System.ArgumentException">The options turn jitter or growth off (the message names the option), or Polly rejects them.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads extend different builder types; no call is ambiguous.")]
    public static ResiliencePipelineBuilder AddJitteredRetry(this ResiliencePipelineBuilder builder, JitteredRetryStrategyOptions? options = null)
    {
        Guard.NotNull(builder, nameof(builder));
        var copy = JitteredRetryDefaults.CheckedCopy(options ?? new JitteredRetryStrategyOptions(), new RetryStrategyOptions());
        return builder.AddRetry(copy);
    }

    /// <summary>Adds a retry with <see cref="JitteredRetryStrategyOptions{TResult}"/> (exponential backoff with jitter, capped).</summary>
    /// <typeparam name="TResult">The result type of the pipeline.</typeparam>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="options">The options (copied: later changes to them change nothing); null uses the defaults.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="System.ArgumentException">The options turn jitter or growth off (the message names the option), or Polly rejects them.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads extend different builder types; no call is ambiguous.")]
    public static ResiliencePipelineBuilder<TResult> AddJitteredRetry<TResult>(this ResiliencePipelineBuilder<TResult> builder, JitteredRetryStrategyOptions<TResult>? options = null)
    {
        Guard.NotNull(builder, nameof(builder));
        var copy = JitteredRetryDefaults.CheckedCopy(options ?? new JitteredRetryStrategyOptions<TResult>(), new RetryStrategyOptions<TResult>());
        return builder.AddRetry(copy);
    }
}
