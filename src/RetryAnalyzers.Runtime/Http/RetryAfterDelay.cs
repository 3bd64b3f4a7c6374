using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Polly.Retry;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// Waits for the time a throttled provider asks for (<c>Retry-After</c>, <c>retry-after-ms</c>, read by
/// <see cref="RateLimitHeaders.GetRetryAfter(HttpResponseMessage, DateTimeOffset)"/>), capped at a maximum and with a small
/// random spread added (never taken away, so a retry never comes back before the provider's time), and falls back to the
/// caller's own backoff when the response names no wait. One helper for the three shapes of retry: a Polly v8
/// <c>DelayGenerator</c>, the body of a Polly v7 sleep-duration provider, and an awaitable for a hand-written loop.
/// </summary>
public static class RetryAfterDelay
{
    /// <summary>The largest share of the wait added as random spread (10 %), so clients told the same time do not all come back at once.</summary>
    public const double SpreadRatio = 0.1;

    /// <summary>The most random spread added to a wait (1 second).</summary>
    public static readonly TimeSpan MaxSpread = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A Polly v8 <c>DelayGenerator</c>: the response's Retry-After, capped at 60 seconds, plus a small spread; null when
    /// the outcome has no response or the response names no wait, so Polly uses the options' own backoff.
    /// </summary>
    /// <returns>The generator.</returns>
    public static Func<RetryDelayGeneratorArguments<HttpResponseMessage>, ValueTask<TimeSpan?>> Generator() => Generator(RuntimeDefaults.MaxRetryAfter);

    /// <summary>As <see cref="Generator()"/>, with the longest wait taken from a header.</summary>
    /// <param name="maxRetryAfter">The longest wait taken from a header; a longer one is cut to this. From zero to 24 hours.</param>
    /// <returns>The generator.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxRetryAfter"/> is negative or too long.</exception>
    public static Func<RetryDelayGeneratorArguments<HttpResponseMessage>, ValueTask<TimeSpan?>> Generator(TimeSpan maxRetryAfter)
    {
        CheckCap(maxRetryAfter);
        return args => new ValueTask<TimeSpan?>(Wait(args.Outcome.Result, maxRetryAfter));
    }

    /// <summary>
    /// The wait before retrying <paramref name="response"/>: its Retry-After (capped at 60 seconds, plus a small spread),
    /// or <paramref name="fallback"/> when there is no response or it names no wait. The body of a Polly v7 sleep-duration
    /// provider: <c>(attempt, outcome, context) =&gt; RetryAfterDelay.Or(outcome.Result, backoff)</c>.
    /// </summary>
    /// <param name="response">The response that failed, or null (an exception).</param>
    /// <param name="fallback">The caller's own backoff, used as is.</param>
    /// <returns>The wait.</returns>
    public static TimeSpan Or(HttpResponseMessage? response, TimeSpan fallback) => Or(response, fallback, RuntimeDefaults.MaxRetryAfter);

    /// <summary>As <see cref="Or(HttpResponseMessage?, TimeSpan)"/>, with the longest wait taken from a header.</summary>
    /// <param name="response">The response that failed, or null (an exception).</param>
    /// <param name="fallback">The caller's own backoff, used as is.</param>
    /// <param name="maxRetryAfter">The longest wait taken from a header; a longer one is cut to this. From zero to 24 hours.</param>
    /// <returns>The wait.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxRetryAfter"/> is negative or too long.</exception>
    public static TimeSpan Or(HttpResponseMessage? response, TimeSpan fallback, TimeSpan maxRetryAfter)
    {
        CheckCap(maxRetryAfter);
        return Wait(response, maxRetryAfter) ?? fallback;
    }

    /// <summary>
    /// Waits before a hand-written loop retries <paramref name="response"/>: its Retry-After (capped at 60 seconds, plus a
    /// small spread), or <paramref name="fallback"/> when there is no response or it names no wait.
    /// </summary>
    /// <param name="response">The response that failed, or null (an exception).</param>
    /// <param name="fallback">The caller's own backoff, used as is.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes after the wait.</returns>
    public static Task DelayAsync(HttpResponseMessage? response, TimeSpan fallback, CancellationToken cancellationToken = default)
        => Task.Delay(Or(response, fallback), cancellationToken);

    private static void CheckCap(TimeSpan maxRetryAfter)
        => Guard.Delay(maxRetryAfter, nameof(maxRetryAfter), nameof(maxRetryAfter), allowZero: true);

    private static TimeSpan? Wait(HttpResponseMessage? response, TimeSpan cap)
    {
        if (response is null || RateLimitHeaders.GetRetryAfter(response, DateTimeOffset.UtcNow) is not { } asked)
        {
            return null;
        }

        var wait = asked < cap ? asked : cap;
        var spread = Math.Min(wait.Ticks * SpreadRatio, MaxSpread.Ticks);
        return wait + TimeSpan.FromTicks((long)(spread * RandomUtil.NextDouble()));
    }
}
