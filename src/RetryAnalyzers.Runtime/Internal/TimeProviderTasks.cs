using System;
using System.Threading;
using System.Threading.Tasks;

namespace RetryAnalyzers.Runtime.Internal;

/// <summary>Delays and timeouts on a <see cref="TimeProvider"/>, the same call on every target.</summary>
internal static class TimeProviderTasks
{
    /// <summary>The clock's time as a duration from its timestamp zero: one time line for every gate and call on it.</summary>
    public static TimeSpan Now(TimeProvider time) => time.GetElapsedTime(0, time.GetTimestamp());

    /// <summary>Completes after <paramref name="delay"/> of <paramref name="time"/>; cancelled with <paramref name="cancellationToken"/>.</summary>
    public static Task Delay(TimeProvider time, TimeSpan delay, CancellationToken cancellationToken)
#if NET8_0_OR_GREATER
        => Task.Delay(delay, time, cancellationToken);
#else
        => time.Delay(delay, cancellationToken);
#endif

    /// <summary>A source cancelled after <paramref name="delay"/> of <paramref name="time"/>.</summary>
    public static CancellationTokenSource CancelAfter(TimeProvider time, TimeSpan delay)
#if NET8_0_OR_GREATER
        => new(delay, time);
#else
        => time.CreateCancellationTokenSource(delay);
#endif

    /// <summary>Waits for <paramref name="task"/> or for <paramref name="cancellationToken"/>, whichever comes first (then throws).</summary>
    public static async Task WaitAsync(Task task, CancellationToken cancellationToken)
    {
#if NET8_0_OR_GREATER
        await task.WaitAsync(cancellationToken).ConfigureAwait(false);
#else
        if (!cancellationToken.CanBeCanceled)
        {
            await task.ConfigureAwait(false);
            return;
        }

        var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(static state => ((TaskCompletionSource<bool>)state!).TrySetResult(true), cancelled))
        {
            if (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false) != task)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        await task.ConfigureAwait(false);
#endif
    }
}
