using System;
using System.Globalization;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// How a provider call is run: budget → jittered retry honouring Retry-After (within a retry budget) → circuit breaker.
/// The defaults are meant for LLM providers called by several agents; every option is validated when the pipeline
/// is built, and an invalid one throws naming it.
/// </summary>
public sealed class ProviderResilienceOptions
{
    /// <summary>The shared token budget every attempt draws from before it is sent, or null for none.</summary>
    public TokenBudget? Budget { get; set; }

    /// <summary>The retry budget shared by the agents (default: a new one of 10 % of calls; share one across handlers of a process).</summary>
    public RetryBudget RetryBudget { get; set; } = new();

    /// <summary>Metrics (calls, retries, 429s, breaker openings, retry ratio). Default: a new, untagged instance.</summary>
    public RetryMetrics Metrics { get; set; } = new();

    /// <summary>Retries after the first attempt. Default 3.</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>The median first delay of the jittered backoff. Default 1 s.</summary>
    public TimeSpan BaseDelay { get; set; } = JitteredBackoff.DefaultBaseDelay;

    /// <summary>The cap of the jittered backoff. Default 30 s.</summary>
    public TimeSpan MaxDelay { get; set; } = JitteredBackoff.DefaultMaxDelay;

    /// <summary>
    /// The longest Retry-After the pipeline waits for. A longer one (the provider's window will not reopen soon) ends the
    /// retries and hands the throttled outcome to the caller. Default 60 s.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The circuit breaker. Default: opens when at least 3 calls in 30 s were made and half of them failed (so three
    /// failures in a row open it even on a small job), stays open 5 s, then lets one probe through. Null disables it.
    /// </summary>
    public ProviderCircuitBreaker? CircuitBreaker { get; set; } = new();

    /// <summary>The clock for delays, the breaker and Retry-After dates. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Randomness of the jitter, in [0, 1); null for a thread-safe default.</summary>
    public Func<double>? Randomizer { get; set; }

    internal void Validate()
    {
        if (MaxRetryAttempts < 0 || MaxRetryAttempts > 100)
        {
            throw Invalid(nameof(MaxRetryAttempts), MaxRetryAttempts, "must be from 0 to 100");
        }

        Internal.Guard.Delay(BaseDelay, "ProviderResilienceOptions." + nameof(BaseDelay), allowZero: false);
        Internal.Guard.Delay(MaxDelay, "ProviderResilienceOptions." + nameof(MaxDelay), allowZero: false);
        Internal.Guard.Delay(MaxRetryAfter, "ProviderResilienceOptions." + nameof(MaxRetryAfter), allowZero: true);
        if (MaxDelay < BaseDelay)
        {
            throw Invalid(nameof(MaxDelay), MaxDelay, "must not be shorter than BaseDelay (" + BaseDelay.ToString("c", CultureInfo.InvariantCulture) + ")");
        }

        CircuitBreaker?.Validate();
        if (RetryBudget is null)
        {
            throw new ArgumentNullException(nameof(RetryBudget), "ProviderResilienceOptions.RetryBudget must not be null.");
        }

        if (Metrics is null)
        {
            throw new ArgumentNullException(nameof(Metrics), "ProviderResilienceOptions.Metrics must not be null.");
        }

        if (TimeProvider is null)
        {
            throw new ArgumentNullException(nameof(TimeProvider), "ProviderResilienceOptions.TimeProvider must not be null.");
        }
    }

    private static ArgumentOutOfRangeException Invalid(string option, object value, string rule)
        => Internal.Guard.Invalid("ProviderResilienceOptions." + option, "ProviderResilienceOptions", option, value, rule);
}
