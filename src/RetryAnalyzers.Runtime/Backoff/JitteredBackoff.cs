using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Tasks;
using System.Threading;
using System;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// Jittered exponential backoff (decorrelated jitter, as Polly's <c>DecorrelatedJitterBackoffV2</c>) with a cap.
/// Callers that failed together spread out instead of retrying in lockstep.
/// <list type="bullet">
/// <item>Polly v7: <c>WaitAndRetryAsync(JitteredBackoff.Delays(TimeSpan.FromSeconds(1), retryCount: 3))</c>.</item>
/// <item>Polly v8: <see cref="JitteredRetryStrategyOptions"/>.</item>
/// <item>A plain loop: <c>await Task.Delay(JitteredBackoff.GetDelay(attempt, TimeSpan.FromSeconds(1)))</c>, or <see cref="RetryBackoff"/>.</item>
/// </list>
/// Attempt numbers are 0-based, as in Polly v8: the first retry is attempt 0 (Polly v7 providers receive 1 for it).
/// </summary>
public static class JitteredBackoff
{
    /// <summary>The median first delay used when none is given: 1 s.</summary>
    public static readonly TimeSpan DefaultBaseDelay = RuntimeDefaults.BaseDelay;

    /// <summary>The cap used when none is given: 30 s.</summary>
    public static readonly TimeSpan DefaultMaxDelay = RuntimeDefaults.MaxDelay;

    /// <summary>The cap used when none is given: <see cref="DefaultMaxDelay"/>, or the base delay if that is longer.</summary>
    internal static TimeSpan DefaultCapFor(TimeSpan baseDelay) => baseDelay > DefaultMaxDelay ? baseDelay : DefaultMaxDelay;

    /// <summary>The delay before retry <paramref name="attempt"/> (0-based), capped at <see cref="DefaultMaxDelay"/> (or at <paramref name="baseDelay"/> if that is longer).</summary>
    /// <param name="attempt">0 for the first retry.</param>
    /// <param name="baseDelay">The median first delay.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="attempt"/> is negative or <paramref name="baseDelay"/> is not in (0, 1 day].</exception>
    public static TimeSpan GetDelay(int attempt, TimeSpan baseDelay)
        => GetDelay(attempt, baseDelay, DefaultCapFor(baseDelay));

    /// <summary>The delay before retry <paramref name="attempt"/> (0-based), never longer than <paramref name="maxDelay"/>.</summary>
    /// <param name="attempt">0 for the first retry.</param>
    /// <param name="baseDelay">The median first delay.</param>
    /// <param name="maxDelay">The cap.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range; the message names it.</exception>
    public static TimeSpan GetDelay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay)
        => GetDelay(attempt, new JitteredBackoffOptions { BaseDelay = baseDelay, MaxDelay = maxDelay });

    /// <summary>The delay before retry <paramref name="attempt"/> (0-based) with the given options.</summary>
    /// <param name="attempt">0 for the first retry.</param>
    /// <param name="options">Base delay, cap and randomizer.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument or option is out of range; the message names it.</exception>
    public static TimeSpan GetDelay(int attempt, JitteredBackoffOptions options)
    {
        Guard.NotNegative(attempt, nameof(attempt));
        return Jitter(options).ForAttempt(attempt);
    }

    /// <summary>
    /// <paramref name="retryCount"/> jittered delays for Polly v7 <c>WaitAndRetry[Async](IEnumerable&lt;TimeSpan&gt;)</c>.
    /// Each enumeration draws new delays, so every execution of the policy is jittered afresh.
    /// </summary>
    /// <param name="baseDelay">The median first delay.</param>
    /// <param name="retryCount">How many delays (retries).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range; the message names it.</exception>
    public static IEnumerable<TimeSpan> Delays(TimeSpan baseDelay, int retryCount)
        => Delays(retryCount, new JitteredBackoffOptions { BaseDelay = baseDelay, MaxDelay = DefaultCapFor(baseDelay) });

    /// <summary><paramref name="retryCount"/> jittered delays, never longer than <paramref name="maxDelay"/>.</summary>
    /// <param name="baseDelay">The median first delay.</param>
    /// <param name="retryCount">How many delays (retries).</param>
    /// <param name="maxDelay">The cap.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range; the message names it.</exception>
    public static IEnumerable<TimeSpan> Delays(TimeSpan baseDelay, int retryCount, TimeSpan maxDelay)
        => Delays(retryCount, new JitteredBackoffOptions { BaseDelay = baseDelay, MaxDelay = maxDelay });

    /// <summary><paramref name="retryCount"/> jittered delays with the given options.</summary>
    /// <param name="retryCount">How many delays (retries).</param>
    /// <param name="options">Base delay, cap and randomizer.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument or option is out of range; the message names it.</exception>
    public static IEnumerable<TimeSpan> Delays(int retryCount, JitteredBackoffOptions options)
    {
        Guard.NotNegative(retryCount, nameof(retryCount));
        var jitter = Jitter(options);
        return Sequence(jitter, retryCount);
    }

    /// <summary>Waits the delay of retry <paramref name="attempt"/> (0-based) on the system clock.</summary>
    /// <param name="attempt">0 for the first retry.</param>
    /// <param name="baseDelay">The median first delay.</param>
    /// <param name="cancellationToken">Cancels the wait; the task is then cancelled.</param>
    /// <returns>A task that completes after the delay.</returns>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in a required parameter (TimeSpan or options); no call is ambiguous.")]
    public static Task DelayAsync(int attempt, TimeSpan baseDelay, CancellationToken cancellationToken = default)
        => DelayAsync(attempt, new JitteredBackoffOptions { BaseDelay = baseDelay, MaxDelay = DefaultCapFor(baseDelay) }, cancellationToken);

    /// <summary>Waits the delay of retry <paramref name="attempt"/> (0-based) on <see cref="JitteredBackoffOptions.TimeProvider"/>.</summary>
    /// <param name="attempt">0 for the first retry.</param>
    /// <param name="options">Base delay, cap, randomizer and clock.</param>
    /// <param name="cancellationToken">Cancels the wait; the task is then cancelled.</param>
    /// <returns>A task that completes after the delay.</returns>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in a required parameter (TimeSpan or options); no call is ambiguous.")]
    public static Task DelayAsync(int attempt, JitteredBackoffOptions options, CancellationToken cancellationToken = default)
        => Wait(GetDelay(attempt, options), options.TimeProvider, cancellationToken);

    internal static DecorrelatedJitter Jitter(JitteredBackoffOptions options)
    {
        Guard.NotNull(options, nameof(options)).Validate();
        return new DecorrelatedJitter(options.BaseDelay, options.MaxDelay, options.Randomizer ?? RandomUtil.NextDouble);
    }

    internal static Task Wait(TimeSpan delay, TimeProvider? timeProvider, CancellationToken cancellationToken)
    {
#if NET8_0_OR_GREATER
        return Task.Delay(delay, timeProvider ?? TimeProvider.System, cancellationToken);
#else
        return (timeProvider ?? TimeProvider.System).Delay(delay, cancellationToken);
#endif
    }

    private static IEnumerable<TimeSpan> Sequence(DecorrelatedJitter jitter, int retryCount)
    {
        var previous = 0.0;
        for (var attempt = 0; attempt < retryCount; attempt++)
        {
            var next = jitter.Next(attempt);
            yield return jitter.Step(previous, next);
            previous = next;
        }
    }
}
