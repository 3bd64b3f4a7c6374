using System;
using System.Threading;
using System.Threading.Tasks;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// The jittered backoff of one retry loop: each <see cref="NextDelay"/> is the next delay of a decorrelated-jitter
/// sequence. Create one per operation being retried (before the loop); it is not thread-safe.
/// </summary>
/// <example>
/// <code>
/// var backoff = new RetryBackoff(TimeSpan.FromSeconds(1));
/// while (true)
/// {
///     try { return await CallAsync(); }
///     catch (HttpRequestException) when (backoff.Attempt &lt; 5) { await backoff.DelayAsync(cancellationToken); }
/// }
/// </code>
/// </example>
public sealed class RetryBackoff
{
    private readonly DecorrelatedJitter _jitter;
    private readonly TimeProvider? _timeProvider;
    private double _previous;

    /// <summary>A backoff with the given median first delay, capped at <see cref="JitteredBackoff.DefaultMaxDelay"/> (or at the base delay if longer).</summary>
    /// <param name="baseDelay">The median first delay.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="baseDelay"/> is not in (0, 1 day].</exception>
    public RetryBackoff(TimeSpan baseDelay)
        : this(baseDelay, JitteredBackoff.DefaultCapFor(baseDelay))
    {
    }

    /// <summary>A backoff with the given median first delay, never waiting longer than <paramref name="maxDelay"/>.</summary>
    /// <param name="baseDelay">The median first delay.</param>
    /// <param name="maxDelay">The cap.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range; the message names it.</exception>
    public RetryBackoff(TimeSpan baseDelay, TimeSpan maxDelay)
        : this(new JitteredBackoffOptions { BaseDelay = baseDelay, MaxDelay = maxDelay })
    {
    }

    /// <summary>A backoff with the given options; they are validated and copied.</summary>
    /// <param name="options">Base delay, cap, randomizer and clock.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public RetryBackoff(JitteredBackoffOptions options)
    {
        _jitter = JitteredBackoff.Jitter(options);
        _timeProvider = options.TimeProvider;
    }

    /// <summary>How many delays have been handed out since creation or <see cref="Reset"/>: the 0-based number of the next retry.</summary>
    public int Attempt { get; private set; }

    /// <summary>The next delay of the sequence; advances <see cref="Attempt"/>.</summary>
    /// <returns>The delay to wait before the next retry.</returns>
    public TimeSpan NextDelay()
    {
        var next = _jitter.Next(Attempt);
        var delay = _jitter.Step(_previous, next);
        _previous = next;
        Attempt++;
        return delay;
    }

    /// <summary>Waits <see cref="NextDelay"/> on the configured clock.</summary>
    /// <param name="cancellationToken">Cancels the wait; the task is then cancelled.</param>
    /// <returns>A task that completes after the delay.</returns>
    public Task DelayAsync(CancellationToken cancellationToken = default)
        => JitteredBackoff.Wait(NextDelay(), _timeProvider, cancellationToken);

    /// <summary>Starts the sequence again (after a success).</summary>
    public void Reset()
    {
        Attempt = 0;
        _previous = 0;
    }
}
