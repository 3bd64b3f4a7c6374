using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;

namespace RetryAnalyzers.Workload;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that knows when its next timer is due, so a driver can jump the clock straight to it.
/// Everything the library waits on (Polly's delays, the budget's timer, the gate's holds, attempt timeouts) is a timer
/// of this clock; nothing moves until <see cref="VirtualTime"/> advances it.
/// </summary>
public sealed class SimClock : FakeTimeProvider
{
    private readonly object _lock = new();
    private readonly HashSet<TrackedTimer> _timers = new();

    /// <summary>A clock at the Unix epoch.</summary>
    public SimClock()
        : base(DateTimeOffset.UnixEpoch)
    {
    }

    /// <summary>Seconds since the clock started.</summary>
    public double Seconds => (GetUtcNow() - DateTimeOffset.UnixEpoch).TotalSeconds;

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var tracked = new TrackedTimer(this);
        tracked.Set(dueTime, period); // before the base clock may fire a timer due now, which clears it
        tracked.Inner = base.CreateTimer(
            s =>
            {
                tracked.Fired();
                callback(s);
            },
            state,
            dueTime,
            period);
        return tracked;
    }

    /// <summary>When the earliest armed timer fires, or null when none is armed.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            lock (_lock)
            {
                DateTimeOffset? next = null;
                foreach (var timer in _timers)
                {
                    if (timer.Due is { } due && (next is null || due < next))
                    {
                        next = due;
                    }
                }

                return next;
            }
        }
    }

    private void Track(TrackedTimer timer, bool armed)
    {
        lock (_lock)
        {
            if (armed)
            {
                _timers.Add(timer);
            }
            else
            {
                _timers.Remove(timer);
            }
        }
    }

    private sealed class TrackedTimer(SimClock clock) : ITimer
    {
        private static readonly TimeSpan MaxDue = TimeSpan.FromDays(365); // a later due time never comes in a run

        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public ITimer Inner { get; set; } = null!;

        public DateTimeOffset? Due { get; private set; }

        public void Set(TimeSpan dueTime, TimeSpan period)
        {
            _period = period;
            Due = dueTime == Timeout.InfiniteTimeSpan ? null : clock.GetUtcNow() + (dueTime < MaxDue ? dueTime : MaxDue);
            clock.Track(this, Due is not null);
        }

        public void Fired()
        {
            Due = _period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero ? null : clock.GetUtcNow() + _period;
            clock.Track(this, Due is not null);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Set(dueTime, period);
            return Inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            Due = null;
            clock.Track(this, false);
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}

/// <summary>
/// Runs asynchronous code on a <see cref="SimClock"/> deterministically: the process's thread pool is cut to one thread,
/// the driver runs on it, and the clock jumps to the next timer only when no work item is left — so every continuation
/// runs in one order, the same on every run, and a minute of provider time takes milliseconds. For a process that runs
/// nothing else (the workload tool), never inside a test host, and before any other use of the pool (a pool thread
/// blocked elsewhere would leave none for the driver).
/// </summary>
public static class VirtualTime
{
    /// <summary>Runs <paramref name="body"/> to completion on <paramref name="clock"/>.</summary>
    public static T Run<T>(SimClock clock, Func<Task<T>> body)
    {
        ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
        ThreadPool.GetMaxThreads(out var maxWorkers, out var maxIo);
        if (!ThreadPool.SetMinThreads(1, 1) || !ThreadPool.SetMaxThreads(1, 1))
        {
            throw new InvalidOperationException("The thread pool could not be cut to one thread: the run would not be deterministic.");
        }

        try
        {
            return Task.Run(() => DriveAsync(clock, body)).GetAwaiter().GetResult();
        }
        finally
        {
            ThreadPool.SetMaxThreads(maxWorkers, maxIo);
            ThreadPool.SetMinThreads(minWorkers, minIo);
        }
    }

    private static async Task<T> DriveAsync<T>(SimClock clock, Func<Task<T>> body)
    {
        var work = body();
        var idleTurns = 0;
        while (!work.IsCompleted)
        {
            if (ThreadPool.PendingWorkItemCount > 0)
            {
                // Go to the back of the global queue: what is queued before runs first, on this same (only) thread.
                await Task.Factory.StartNew(static () => { }, CancellationToken.None, TaskCreationOptions.PreferFairness, TaskScheduler.Default).ConfigureAwait(false);
                idleTurns = 0;
                continue;
            }

            var next = clock.NextDue ?? throw new InvalidOperationException("The run is stuck: nothing to run and no timer armed.");
            if (next > clock.GetUtcNow())
            {
                clock.SetUtcNow(next);
            }
            else if (++idleTurns > 100_000)
            {
                throw new InvalidOperationException("The run is stuck: a timer stays due and nothing runs.");
            }
            else
            {
                clock.Advance(TimeSpan.Zero); // a timer due now: fire it
                continue;
            }

            idleTurns = 0;
        }

        return await work.ConfigureAwait(false);
    }
}
