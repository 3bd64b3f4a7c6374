using System;
using System.Diagnostics;
using System.Threading;

namespace RetryAnalyzers.Testing;

/// <summary>
/// A real clock that runs <see cref="Scale"/> times faster: <see cref="GetUtcNow"/> and <see cref="GetTimestamp"/>
/// advance <c>scale</c> seconds per real second from the moment it is created, and a timer due in <c>t</c> fires after
/// <c>t / scale</c> of real time (its period scaled too). Give the same instance to the server and to the clients, and
/// a 5-minute outage takes 30 s at 10×.
/// </summary>
public sealed class ScaledTimeProvider : TimeProvider
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly DateTimeOffset _origin = DateTimeOffset.UtcNow;

    public ScaledTimeProvider(double scale)
    {
        if (!(scale > 0) || double.IsInfinity(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "must be a finite number greater than 0");
        }

        Scale = scale;
    }

    public double Scale { get; }

    /// <summary>Scaled time since this clock was created.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_start) * Scale;

    public override long TimestampFrequency => Stopwatch.Frequency;

    public override long GetTimestamp() => _start + (long)((Stopwatch.GetTimestamp() - _start) * Scale);

    public override DateTimeOffset GetUtcNow() => _origin + Elapsed;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        => new ScaledTimer(System.CreateTimer(callback, state, ToReal(dueTime), ToReal(period)), this);

    /// <summary>The real time a scaled span takes (<see cref="Timeout.InfiniteTimeSpan"/> stays infinite).</summary>
    public TimeSpan ToReal(TimeSpan scaled) => scaled == Timeout.InfiniteTimeSpan ? scaled : scaled / Scale;
}
