using System;
using System.Globalization;
using System.Threading.Tasks;
using Polly;
using Polly.CircuitBreaker;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// Circuit-breaker settings sized for small agent jobs. Polly's own defaults need 100 calls in 30 s before the breaker
/// may open, which a job of a few dozen calls never reaches: it retries into an outage instead. These open after 3
/// failed attempts when half failed. Only failures count: 5xx without Retry-After, refused connections, attempt
/// timeouts. A throttle (429, or 503 with Retry-After) is the provider pacing us and holds the calls for its wait
/// instead. In <see cref="ProviderPipeline{TResult}"/> and <see cref="ProviderResilienceHandler"/>, an open breaker makes
/// calls <b>wait</b> for its probe (one attempt at a time) rather than fail, within
/// <see cref="ProviderResilienceOptions.MaxWaitForRecovery"/>; a failed probe doubles the break, up to
/// <see cref="MaxBreakDuration"/>.
/// </summary>
public sealed class ProviderCircuitBreaker
{
    private const string Owner = nameof(ProviderCircuitBreaker) + ".";

    /// <summary>The share of failed calls in <see cref="SamplingDuration"/> that opens the breaker, in (0, 1]. Default 0.5.</summary>
    public double FailureRatio { get; set; } = RuntimeDefaults.BreakerFailureRatio;

    /// <summary>The fewest judged attempts (answers and failures, not throttles) in <see cref="SamplingDuration"/> before the breaker may open, at least 2. Default 3.</summary>
    public int MinimumThroughput { get; set; } = RuntimeDefaults.BreakerMinimumThroughput;

    /// <summary>The window the ratio is measured over, at least 0.5 s. Default 30 s.</summary>
    public TimeSpan SamplingDuration { get; set; } = RuntimeDefaults.BreakerSamplingDuration;

    /// <summary>How long the breaker stays open before one probe call is let through (half-open), at least 0.5 s. Default 5 s.</summary>
    public TimeSpan BreakDuration { get; set; } = RuntimeDefaults.BreakerBreakDuration;

    /// <summary>
    /// The longest hold: each failed or throttled probe in a row doubles the hold, up to this (and never below the
    /// provider's Retry-After), so a long outage costs a probe a minute rather than one every 5 s. At least
    /// <see cref="BreakDuration"/>. Default 60 s.
    /// </summary>
    public TimeSpan MaxBreakDuration { get; set; } = RuntimeDefaults.BreakerMaxBreakDuration;

    /// <summary>
    /// Polly breaker options with these settings, failing on <paramref name="isFailure"/>, for a pipeline of your own
    /// (Polly's breaker fails calls at once while open; <see cref="MaxBreakDuration"/> does not apply).
    /// </summary>
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
        Guard.Duration(MaxBreakDuration, BreakDuration, RuntimeDefaults.MaxDelayOption, Owner + nameof(MaxBreakDuration), Owner + nameof(MaxBreakDuration));
    }

    private static void Check(bool valid, string option, object value, string rule) => Guard.Range(valid, Owner + option, Owner + option, value, rule);
}
