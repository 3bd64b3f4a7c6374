using System;
using System.Threading;
using System.Threading.Tasks;

namespace RetryAnalyzers.Runtime.Internal;

/// <summary>Delays and timeouts on a <see cref="TimeProvider"/>, the same call on every target.</summary>
internal static class TimeProviderTasks
{
    /// <summary>The clock's time as a duration from its timestamp zero: one time line for every gate and call on it.</summary>
    public static TimeSpan Now(TimeProvider time) => time.GetElapsedTime(0, time.GetTimestamp());

    /// <summary>
    /// A mark to measure a call's age from with <see cref="Since"/>: on the system clock (.NET) the millisecond tick count,
    /// cheaper to read than a timestamp and fine enough for a budget; on another clock its timestamp.
    /// </summary>
    public static long Mark(TimeProvider time)
    {
#if NET
        if (ReferenceEquals(time, TimeProvider.System))
        {
            return Environment.TickCount64;
        }
#endif
        return time.GetTimestamp();
    }

    /// <summary>The time since <paramref name="mark"/> (from <see cref="Mark"/> on the same clock).</summary>
    public static TimeSpan Since(TimeProvider time, long mark)
    {
#if NET
        if (ReferenceEquals(time, TimeProvider.System))
        {
            return TimeSpan.FromMilliseconds(Environment.TickCount64 - mark);
        }
#endif
        return time.GetElapsedTime(mark);
    }

    /// <summary>
    /// Completes after <paramref name="delay"/> of <paramref name="time"/>, rounded up to whole milliseconds (a delay
    /// counts whole milliseconds: a shorter remainder would complete at once, and a loop waiting for a moment less than
    /// a millisecond away would spin until it came); cancelled with <paramref name="cancellationToken"/>.
    /// </summary>
    public static Task Delay(TimeProvider time, TimeSpan delay, CancellationToken cancellationToken)
    {
        var whole = delay > TimeSpan.Zero && delay.Ticks % TimeSpan.TicksPerMillisecond != 0
            ? TimeSpan.FromTicks(((delay.Ticks / TimeSpan.TicksPerMillisecond) + 1) * TimeSpan.TicksPerMillisecond)
            : delay;
#if NET8_0_OR_GREATER
        return Task.Delay(whole, time, cancellationToken);
#else
        return time.Delay(whole, cancellationToken);
#endif
    }

    /// <summary>A source cancelled after <paramref name="delay"/> of <paramref name="time"/>.</summary>
    public static CancellationTokenSource CancelAfter(TimeProvider time, TimeSpan delay)
#if NET8_0_OR_GREATER
        => new(delay, time);
#else
        => time.CreateCancellationTokenSource(delay);
#endif
}
