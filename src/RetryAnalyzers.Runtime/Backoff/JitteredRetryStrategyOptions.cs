using System;
using Polly;
using Polly.Retry;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// Polly v8 retry options whose defaults back off exponentially with jitter, capped: <c>BackoffType = Exponential</c>,
/// <c>UseJitter = true</c>, <c>Delay = 1 s</c> (median first delay), <c>MaxDelay = 30 s</c>, <c>MaxRetryAttempts = 3</c>.
/// Polly's own <see cref="RetryStrategyOptions"/> default to a constant 2 s without jitter.
/// </summary>
public class JitteredRetryStrategyOptions : RetryStrategyOptions
{
    /// <summary>Creates the options with jittered exponential defaults.</summary>
    public JitteredRetryStrategyOptions() => JitteredRetryDefaults.Apply(this);
}

/// <summary>The generic form of <see cref="JitteredRetryStrategyOptions"/>, for <c>ResiliencePipelineBuilder&lt;TResult&gt;</c>.</summary>
/// <typeparam name="TResult">The result type of the pipeline.</typeparam>
public class JitteredRetryStrategyOptions<TResult> : RetryStrategyOptions<TResult>
{
    /// <summary>Creates the options with jittered exponential defaults.</summary>
    public JitteredRetryStrategyOptions() => JitteredRetryDefaults.Apply(this);
}

internal static class JitteredRetryDefaults
{
    public static void Apply<TResult>(RetryStrategyOptions<TResult> options)
    {
        options.BackoffType = DelayBackoffType.Exponential;
        options.UseJitter = true;
        options.Delay = JitteredBackoff.DefaultBaseDelay;
        options.MaxDelay = JitteredBackoff.DefaultMaxDelay;
        options.Name = "JitteredRetry";
    }

    public static void EnsureJittered<TResult>(RetryStrategyOptions<TResult> options)
    {
        if (options.DelayGenerator is not null)
        {
            return; // the generator owns the delay (for example Retry-After)
        }

        if (options.BackoffType == DelayBackoffType.Constant)
        {
            throw new ArgumentException("BackoffType is Constant: every retry would wait the same time. Use Exponential (the default of these options).", nameof(options.BackoffType));
        }

        if (!options.UseJitter)
        {
            throw new ArgumentException("UseJitter is false: callers that failed together would retry together. Keep UseJitter = true.", nameof(options.UseJitter));
        }
    }
}
