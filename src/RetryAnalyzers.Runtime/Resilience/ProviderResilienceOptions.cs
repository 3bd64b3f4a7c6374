using System;
using System.Globalization;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// How a provider call is run: budget → jittered retry honouring Retry-After (within a retry budget) → circuit breaker.
/// The defaults are meant for LLM providers called by several agents; every option is validated when the pipeline
/// is built, and an invalid one throws naming it.
/// </summary>
public sealed class ProviderResilienceOptions
{
    private const string Owner = nameof(ProviderResilienceOptions) + ".";

    /// <summary>The shared token budget every attempt draws from before it is sent, or null for none.</summary>
    public TokenBudget? Budget { get; set; }

    /// <summary>The retry budget shared by the agents (default: a new one of 10 % of calls; share one across handlers of a process).</summary>
    public RetryBudget RetryBudget { get; set; } = new();

    /// <summary>Metrics (calls, retries, 429s, breaker openings, retry ratio). Default: a new, untagged instance.</summary>
    public RetryMetrics Metrics { get; set; } = new();

    /// <summary>Retries after the first attempt. Default 3.</summary>
    public int MaxRetryAttempts { get; set; } = RuntimeDefaults.MaxRetryAttempts;

    /// <summary>The median first delay of the jittered backoff. Default 1 s.</summary>
    public TimeSpan BaseDelay { get; set; } = RuntimeDefaults.BaseDelay;

    /// <summary>The cap of the jittered backoff. Default 30 s.</summary>
    public TimeSpan MaxDelay { get; set; } = RuntimeDefaults.MaxDelay;

    /// <summary>
    /// The longest Retry-After the pipeline waits for. A longer one (the provider's window will not reopen soon) ends the
    /// retries and hands the throttled outcome to the caller. Default 60 s.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = RuntimeDefaults.MaxRetryAfter;

    /// <summary>
    /// The circuit breaker. Default: opens when at least 3 calls in 30 s were made and half of them failed (so three
    /// failures in a row open it even on a small job), stays open 5 s, then lets one probe through. Null disables it.
    /// </summary>
    public ProviderCircuitBreaker? CircuitBreaker { get; set; } = new();

    /// <summary>The clock for delays, the breaker and Retry-After dates. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Randomness of the jitter, in [0, 1); null for a thread-safe default.</summary>
    public Func<double>? Randomizer { get; set; }

    /// <summary>
    /// A validated copy (with its own copy of <see cref="CircuitBreaker"/>): a pipeline keeps it, so later changes to these
    /// options change nothing. The shared objects (<see cref="Budget"/>, <see cref="RetryBudget"/>, <see cref="Metrics"/>)
    /// are shared, not copied.
    /// </summary>
    internal ProviderResilienceOptions ValidatedCopy()
    {
        var copy = (ProviderResilienceOptions)MemberwiseClone();
        copy.CircuitBreaker = CircuitBreaker?.Copy();
        copy.Validate();
        return copy;
    }

    internal void Validate()
    {
        Check(MaxRetryAttempts >= 0 && MaxRetryAttempts <= RuntimeDefaults.MaxRetryAttemptsLimit, nameof(MaxRetryAttempts), MaxRetryAttempts, "must be from 0 to " + RuntimeDefaults.MaxRetryAttemptsLimit.ToString(CultureInfo.InvariantCulture));
        Guard.Delay(BaseDelay, Owner + nameof(BaseDelay), Owner + nameof(BaseDelay), allowZero: false);
        Guard.Delay(MaxDelay, Owner + nameof(MaxDelay), Owner + nameof(MaxDelay), allowZero: false);
        Guard.Delay(MaxRetryAfter, Owner + nameof(MaxRetryAfter), Owner + nameof(MaxRetryAfter), allowZero: true);
        Guard.NotShorter(MaxDelay, BaseDelay, Owner + nameof(MaxDelay), Owner + nameof(MaxDelay));
        CircuitBreaker?.Validate();
        Guard.OptionNotNull(RetryBudget, nameof(RetryBudget), Owner + nameof(RetryBudget));
        Guard.OptionNotNull(Metrics, nameof(Metrics), Owner + nameof(Metrics));
        Guard.OptionNotNull(TimeProvider, nameof(TimeProvider), Owner + nameof(TimeProvider));
    }

    private static void Check(bool valid, string option, object value, string rule) => Guard.Range(valid, Owner + option, Owner + option, value, rule);
}
