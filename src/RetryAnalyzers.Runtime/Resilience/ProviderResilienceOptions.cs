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
    public ProviderTokenBudget? Budget { get; set; }

    private readonly object _defaultLock = new(); // shared by copies: they share the default budget too
    private RetryBudget? _retryBudget;
    private bool _retryBudgetSet;

    /// <summary>
    /// The retry budget shared by the agents (default: one per options object of 10 % of calls plus 1 a second, 20
    /// banked, refilled on <see cref="TimeProvider"/>; share one across handlers of a process).
    /// </summary>
    public RetryBudget RetryBudget
    {
        get => _retryBudgetSet ? _retryBudget! : DefaultRetryBudget();
        set
        {
            _retryBudget = value;
            _retryBudgetSet = true;
        }
    }

    /// <summary>Metrics (calls, retries, 429s, breaker openings, retry ratio). Default: a new, untagged instance.</summary>
    public RetryMetrics Metrics { get; set; } = new();

    /// <summary>
    /// Retries after failures (5xx, network errors, attempt timeouts). Default 3. Throttles (429, or 503 with
    /// Retry-After) and failed probes of an open breaker do not count: those retries wait at the gate, send nothing
    /// but one probe at a time, and are bounded by <see cref="MaxWaitForRecovery"/>.
    /// </summary>
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
    /// How long one attempt may take before it is cut and retried (a hung connection, a stuck stream's headers). The
    /// caller's cancellation is never retried. Default 100 s (an LLM answer can take a minute); <see cref="System.Threading.Timeout.InfiniteTimeSpan"/>
    /// disables it. An <see cref="System.Net.Http.HttpClient"/> cuts the whole call, retries included, at its own
    /// <c>Timeout</c> (100 s by default): give the client a longer one, or <c>InfiniteTimeSpan</c> and a deadline on your token.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = RuntimeDefaults.AttemptTimeout;

    /// <summary>
    /// How long a call waits, in all, for a throttling or failing provider — at the held gate after a Retry-After, or at
    /// the open breaker for its probe — before it gives up with <see cref="Polly.CircuitBreaker.BrokenCircuitException"/>.
    /// Waiting calls send nothing; the caller's cancellation ends the wait sooner. Default 10 minutes.
    /// </summary>
    public TimeSpan MaxWaitForRecovery { get; set; } = RuntimeDefaults.MaxWaitForRecovery;

    /// <summary>
    /// The circuit breaker. Default: opens when at least 3 attempts in 30 s were judged and half of them failed (so three
    /// failures in a row open it even on a small job; throttles are not failures), stays open 5 s, then lets one probe
    /// through while the other calls wait; each failed probe doubles the break up to 60 s. With a
    /// <see cref="ProviderResilienceHandler"/>, each host (URI authority) has its own. Null disables it (throttles still hold the calls for their Retry-After).
    /// </summary>
    public ProviderCircuitBreaker? CircuitBreaker { get; set; } = new();

    /// <summary>The clock for delays, the breaker and Retry-After dates. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Randomness of the jitter, in [0, 1) (checked once when the pipeline is built; a later value outside is clamped); null for a thread-safe default.</summary>
    public Func<double>? Randomizer { get; set; }

    /// <summary>
    /// A validated copy (with its own copy of <see cref="CircuitBreaker"/>): a pipeline keeps it, so later changes to these
    /// options change nothing. The shared objects (<see cref="Budget"/>, <see cref="RetryBudget"/>, <see cref="Metrics"/>)
    /// are shared, not copied.
    /// </summary>
    internal ProviderResilienceOptions ValidatedCopy()
    {
        _ = RetryBudget; // the default one is made here, on this TimeProvider, and shared by every pipeline of these options
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
        Guard.Range(AttemptTimeout == System.Threading.Timeout.InfiniteTimeSpan || (AttemptTimeout > TimeSpan.Zero && AttemptTimeout <= RuntimeDefaults.MaxDelayOption), Owner + nameof(AttemptTimeout), Owner + nameof(AttemptTimeout), AttemptTimeout, "must be greater than 00:00:00 and at most 1.00:00:00, or Timeout.InfiniteTimeSpan");
        Guard.Delay(MaxWaitForRecovery, Owner + nameof(MaxWaitForRecovery), Owner + nameof(MaxWaitForRecovery), allowZero: true);
        Guard.NotShorter(MaxDelay, BaseDelay, Owner + nameof(MaxDelay), Owner + nameof(MaxDelay));
        Guard.Randomizer(Randomizer, Owner + nameof(Randomizer), Owner + nameof(Randomizer));
        CircuitBreaker?.Validate();
        Guard.OptionNotNull(RetryBudget, nameof(RetryBudget), Owner + nameof(RetryBudget));
        Guard.OptionNotNull(Metrics, nameof(Metrics), Owner + nameof(Metrics));
        Guard.OptionNotNull(TimeProvider, nameof(TimeProvider), Owner + nameof(TimeProvider));
    }

    // The default budget refills on this options' clock: made on first use, again only if the clock was changed since.
    private RetryBudget DefaultRetryBudget()
    {
        var clock = TimeProvider ?? TimeProvider.System;
        lock (_defaultLock)
        {
            if (_retryBudget is null || !ReferenceEquals(_retryBudget.Clock, clock))
            {
                _retryBudget = new RetryBudget(RetryBudget.DefaultRetryRatio, RetryBudget.DefaultMaxCredits, RetryBudget.DefaultMinRetriesPerSecond, clock);
            }

            return _retryBudget;
        }
    }

    private static void Check(bool valid, string option, object value, string rule) => Guard.Range(valid, Owner + option, Owner + option, value, rule);
}
