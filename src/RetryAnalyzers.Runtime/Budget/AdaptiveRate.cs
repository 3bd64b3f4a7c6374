using System;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// The rate of a budget whose provider never says its limit (only 429s): a bracket search in tokens per second. It
/// doubles the rate while nothing throttles (each rate held <see cref="HoldMilliseconds"/>), and on a throttle takes that
/// rate as the upper bound and goes half-way back to the last rate that held; once the bracket is within
/// <see cref="Converged"/> it stays at the rate that held, and every <see cref="ReprobeMilliseconds"/> tries
/// <see cref="ReprobeStep"/> above the bound: one throttle if the limit is where it was, else the doubling again (a raised
/// limit is found within a reprobe and a few holds). Throttles within <see cref="CooldownMilliseconds"/> of the last cut
/// come from the same excess and change nothing. Not thread-safe: the budget calls it under its lock.
/// </summary>
internal sealed class AdaptiveRate
{
    internal const double HoldMilliseconds = 5_000;
    internal const double ReprobeMilliseconds = 30_000;
    internal const double CooldownMilliseconds = 2_000;
    internal const double Converged = 0.05;
    internal const double ReprobeStep = 1.05;

    private double _held;   // the highest rate that ran a whole hold without a throttle
    private double _ceiling = double.PositiveInfinity; // the lowest rate that throttled (since the last raise was found)
    private double _since;  // when the current rate was set
    private double _lastCut = double.NegativeInfinity;

    public AdaptiveRate(double initial, double now)
    {
        Rate = _held = Math.Max(Min, initial);
        _since = now;
    }

    /// <summary>The smallest rate: one token per hour, as every budget's.</summary>
    private static double Min => Internal.RuntimeDefaults.BudgetMinTokensPerSecond;

    public double Rate { get; private set; }

    /// <summary>Moves the rate on when it has held long enough; true when it changed.</summary>
    public bool Tick(double now)
    {
        var staying = IsConverged && Rate <= _held;
        if (now - _since < (staying ? ReprobeMilliseconds : HoldMilliseconds))
        {
            return false;
        }

        if (staying)
        {
            Rate = _ceiling * ReprobeStep; // has the limit been raised?
        }
        else
        {
            _held = Math.Max(_held, Rate);
            if (_held >= _ceiling)
            {
                _ceiling = double.PositiveInfinity; // a rate above the bound held: the limit was raised
            }

            Rate = double.IsPositiveInfinity(_ceiling) ? Rate * 2 : IsConverged ? _held : (_held + _ceiling) / 2;
        }

        _since = now;
        return true;
    }

    /// <summary>A throttle: the current rate is too high.</summary>
    public void Throttled(double now)
    {
        if (now - _lastCut < CooldownMilliseconds)
        {
            return;
        }

        var reprobe = Rate > _ceiling; // a probe above a known bound: back to what held, one throttle per probe
        _lastCut = now;
        _ceiling = Math.Min(_ceiling, Rate);
        if (_held >= _ceiling)
        {
            _held = _ceiling / 2; // the limit was lowered below what held
        }

        Rate = Math.Max(Min, reprobe || IsConverged ? _held : (_held + _ceiling) / 2);
        _since = now;
    }

    private bool IsConverged => (_ceiling - _held) / _ceiling <= Converged;
}
