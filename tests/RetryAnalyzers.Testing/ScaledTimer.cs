using System;
using System.Threading;
using System.Threading.Tasks;

namespace RetryAnalyzers.Testing;

/// <summary>A system timer whose due time and period, given in a <see cref="ScaledTimeProvider"/>'s time, are divided by its scale.</summary>
internal sealed class ScaledTimer : ITimer
{
    private readonly ITimer _timer;
    private readonly ScaledTimeProvider _clock;

    public ScaledTimer(ITimer timer, ScaledTimeProvider clock)
    {
        _timer = timer;
        _clock = clock;
    }

    public bool Change(TimeSpan dueTime, TimeSpan period) => _timer.Change(_clock.ToReal(dueTime), _clock.ToReal(period));

    public void Dispose() => _timer.Dispose();

    public ValueTask DisposeAsync() => _timer.DisposeAsync();
}
