using System;
using System.Globalization;
using System.Threading.Tasks;
using Polly;
using Polly.CircuitBreaker;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// Circuit-breaker settings sized for small agent jobs, turned into Polly's breaker. Polly's own defaults need 100
/// calls in 30 s before the breaker may open, which a job of a few dozen calls never reaches: it retries into an
/// outage instead. These open after 3 calls when half failed.
/// </summary>
public sealed class ProviderCircuitBreaker
{
    /// <summary>The share of failed calls in <see cref="SamplingDuration"/> that opens the breaker, in (0, 1]. Default 0.5.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>The fewest calls in <see cref="SamplingDuration"/> before the breaker may open, at least 2. Default 3.</summary>
    public int MinimumThroughput { get; set; } = 3;

    /// <summary>The window the ratio is measured over, at least 0.5 s. Default 30 s.</summary>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the breaker stays open before one probe call is let through (half-open), at least 0.5 s. Default 5 s.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Polly breaker options with these settings, failing on <paramref name="isFailure"/>.</summary>
    /// <typeparam name="TResult">The result type of the pipeline.</typeparam>
    /// <param name="isFailure">Which outcomes count as failures.</param>
    /// <param name="onOpened">Called when the breaker opens, or null.</param>
    /// <returns>The options.</returns>
    public CircuitBreakerStrategyOptions<TResult> ToPollyOptions<TResult>(Func<Outcome<TResult>, bool> isFailure, Action? onOpened = null)
    {
        if (isFailure is null)
        {
            throw new ArgumentNullException(nameof(isFailure));
        }

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

    internal void Validate()
    {
        if (!(FailureRatio > 0 && FailureRatio <= 1))
        {
            throw Invalid(nameof(FailureRatio), FailureRatio, "must be greater than 0 and at most 1");
        }

        if (MinimumThroughput < 2)
        {
            throw Invalid(nameof(MinimumThroughput), MinimumThroughput, "must be at least 2");
        }

        if (SamplingDuration < TimeSpan.FromMilliseconds(500) || SamplingDuration > TimeSpan.FromDays(1))
        {
            throw Invalid(nameof(SamplingDuration), SamplingDuration, "must be from 00:00:00.5 to 1.00:00:00");
        }

        if (BreakDuration < TimeSpan.FromMilliseconds(500) || BreakDuration > TimeSpan.FromDays(1))
        {
            throw Invalid(nameof(BreakDuration), BreakDuration, "must be from 00:00:00.5 to 1.00:00:00");
        }
    }

    private static ArgumentOutOfRangeException Invalid(string option, object value, string rule)
        => Internal.Guard.Invalid("ProviderCircuitBreaker." + option, "ProviderCircuitBreaker", option, value, rule);
}
