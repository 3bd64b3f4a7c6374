using System;
using Polly;
using Polly.Retry;
using RetryAnalyzers.Runtime.Internal;

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
        options.Delay = RuntimeDefaults.BaseDelay;
        options.MaxDelay = RuntimeDefaults.MaxDelay;
        options.MaxRetryAttempts = RuntimeDefaults.MaxRetryAttempts;
        options.Name = RuntimeDefaults.JitteredRetryName;
    }

    /// <summary>Copies <paramref name="options"/> into <paramref name="copy"/> and checks the copy is jittered: the pipeline keeps the copy.</summary>
    public static TCopy CheckedCopy<TResult, TCopy>(RetryStrategyOptions<TResult> options, TCopy copy)
        where TCopy : RetryStrategyOptions<TResult>
    {
        copy.ShouldHandle = options.ShouldHandle;
        copy.MaxRetryAttempts = options.MaxRetryAttempts;
        copy.BackoffType = options.BackoffType;
        copy.UseJitter = options.UseJitter;
        copy.Delay = options.Delay;
        copy.MaxDelay = options.MaxDelay;
        copy.DelayGenerator = options.DelayGenerator;
        copy.OnRetry = options.OnRetry;
        Guard.Randomizer(options.Randomizer, nameof(options.Randomizer), nameof(options.Randomizer));
        var randomizer = options.Randomizer;
        copy.Randomizer = randomizer is null ? null! : () => RandomUtil.Unit(randomizer());
        copy.Name = options.Name;
        EnsureJittered(copy);
        return copy;
    }

    private static void EnsureJittered<TResult>(RetryStrategyOptions<TResult> options)
    {
        if (options.DelayGenerator is not null)
        {
            return; // the generator owns the delay (for example Retry-After)
        }

        Guard.Argument(options.BackoffType != DelayBackoffType.Constant, nameof(options.BackoffType), "BackoffType is Constant: every retry would wait the same time. Use Exponential (the default of these options).");
        Guard.Argument(options.UseJitter, nameof(options.UseJitter), "UseJitter is false: callers that failed together would retry together. Keep UseJitter = true.");
    }
}
