using System;
using System.Globalization;
using System.Threading.Tasks;
using Polly;
using Polly.CircuitBreaker;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// Circuit-breaker settings sized for small agent jobs, turned into Polly's breaker. Polly's own defaults need 100
/// calls in 30 s before the breaker may open, which a job of a few dozen calls never reaches: it retries into an
/// outage instead. These open after 3 calls when half failed.
/// </summary>
public sealed class ProviderCircuitBreaker
{
    private const string Owner = nameof(ProviderCircuitBreaker) + ".";

    /// <summary>The share of failed calls in <see cref="SamplingDuration"/> that opens the breaker, in (0, 1]. Default 0.5.</summary>
    public double FailureRatio { get; set; } = RuntimeDefaults.BreakerFailureRatio;

    /// <summary>The fewest calls in <see cref="SamplingDuration"/> before the breaker may open, at least 2. Default 3.</summary>
    public int MinimumThroughput { get; set; } = RuntimeDefaults.BreakerMinimumThroughput;

    /// <summary>The window the ratio is measured over, at least 0.5 s. Default 30 s.</summary>
    public TimeSpan SamplingDuration { get; set; } = RuntimeDefaults.BreakerSamplingDuration;

    /// <summary>How long the breaker stays open before one probe call is let through (half-open), at least 0.5 s. Default 5 s.</summary>
    public TimeSpan BreakDuration { get; set; } = RuntimeDefaults.BreakerBreakDuration;

    /// <summary>Polly breaker options with these settings, failing on <paramref name="isFailure"/>.</summary>
    /// <typeparam name="TResult">The result type of the pipeline.</typeparam>
    /// <param name="isFailure">Which outcomes count as failures.</param>
    /// <param name="onOpened">Called when the breaker opens, or null.</param>
    /// <returns>The options.</returns>
    public CircuitBreakerStrategyOptions<TResult> ToPollyOptions<TResult>(Func<Outcome<TResult>, bool> isFailure, Action? onOpened = null)
    {
        Guard.NotNull(isFailure, nameof(isFailure));
        Validate();
        return new CircuitBreakerStrategyOptions<TResult>
        {
            FailureRatio = FailureRatio,
            MinimumThroughput = MinimumThroughput,
            SamplingDuration = SamplingDuration,
            BreakDuration = BreakDuration,
            ShouldHandle = args => new ValueTask<bool>(isFailure(args.Outcome)),
            OnOpened = _ =>
            {
                onOpened?.Invoke();
                return default;
            },
        };
    }

    internal ProviderCircuitBreaker Copy() => (ProviderCircuitBreaker)MemberwiseClone();

    internal void Validate()
    {
        Check(FailureRatio > 0 && FailureRatio <= 1, nameof(FailureRatio), FailureRatio, "must be greater than 0 and at most 1");
        Check(MinimumThroughput >= RuntimeDefaults.BreakerMinimumThroughputLimit, nameof(MinimumThroughput), MinimumThroughput, "must be at least " + RuntimeDefaults.BreakerMinimumThroughputLimit.ToString(CultureInfo.InvariantCulture));
        Guard.Duration(SamplingDuration, RuntimeDefaults.BreakerMinimumDuration, RuntimeDefaults.MaxDelayOption, Owner + nameof(SamplingDuration), Owner + nameof(SamplingDuration));
        Guard.Duration(BreakDuration, RuntimeDefaults.BreakerMinimumDuration, RuntimeDefaults.MaxDelayOption, Owner + nameof(BreakDuration), Owner + nameof(BreakDuration));
    }

    private static void Check(bool valid, string option, object value, string rule) => Guard.Range(valid, Owner + option, Owner + option, value, rule);
}
