using System;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// The rate of a budget whose provider never says its limit (only 429s), in tokens per second. A throttle costs a 429
/// and a held gate, a rate a little low costs a little time: so the search spends few throttles.
/// <list type="bullet">
/// <item>Until the first throttle, the rate doubles after each <see cref="HoldMilliseconds"/> the callers used it.</item>
/// <item>A throttle makes that rate the bound and goes to the geometric middle between the highest rate that held and
/// the bound, or to that rate itself once the bound is within <see cref="Climb"/> of it (a throttle within
/// <see cref="CooldownMilliseconds"/> of the last comes from the same excess and changes nothing).</item>
/// <item>A rate that held for <see cref="HoldMilliseconds"/> moves to the geometric middle between it and the
/// bound, until the bound is within <see cref="Climb"/> of it: then it stays at the rate that held (at least 83 % of the limit).</item>
/// <item>Staying, it tries <see cref="ReprobeStep"/> above the bound now and then, to find a raised limit: at most
/// every <see cref="ReprobeMilliseconds"/>, after <see cref="ReprobeCalls"/> calls were admitted since the last try or
/// throttle, and only while the throttles so far, the try's included, stay within <see cref="ThrottleShare"/> of the
/// calls (so trying never takes the 429s past 5 % of the calls, and a short run whose search spent its share tries
/// nothing). A try that holds doubles again.</item>
/// </list>
/// A rate the callers did not use (less than <see cref="Saturated"/> of it) is not taken as held. Not thread-safe: the
/// budget calls it under its lock.
/// </summary>
internal sealed class AdaptiveRate
{
    internal const double HoldMilliseconds = 5_000;
    internal const double ReprobeMilliseconds = 10_000;
    internal const int ReprobeCalls = 25;
    internal const double CooldownMilliseconds = 2_000;
    internal const double Climb = 1.2;
    internal const double ReprobeStep = 1.05;

    /// <summary>A try above the bound is made only while the throttles so far, that one included, stay within this share of the calls admitted.</summary>
    internal const double ThrottleShare = 0.05;

    /// <summary>A rate counts as tried only when the callers used at least this share of it.</summary>
    internal const double Saturated = 0.8;

    private double _held;   // the highest rate the callers used for a whole hold without a throttle, since the last cut below it
    private double _ceiling = double.PositiveInfinity; // the lowest rate that throttled (until a rate above it holds)
    private double _since;  // when the current rate was set
    private double _lastCut = double.NegativeInfinity;
    private double _used;   // tokens admitted since the rate was set
    private int _calls;     // calls admitted since the last throttle or try
    private long _admitted; // calls admitted in all
    private long _throttles; // throttles in all

    public AdaptiveRate(double initial, double now)
    {
        Rate = _held = Math.Max(Min, initial);
        _since = now;
    }

    /// <summary>The current rate, in tokens per second.</summary>
    public double Rate { get; private set; }

    /// <summary>The smallest rate: one token per hour, as every budget's.</summary>
    private static double Min => Internal.RuntimeDefaults.BudgetMinTokensPerSecond;

    // One more step from what held would reach the bound.
    private bool IsConverged => _held * Climb >= _ceiling;

    /// <summary>Tokens admitted at the current rate.</summary>
    public void Used(long tokens)
    {
        _used += tokens;
        _calls++;
        _admitted++;
    }

    /// <summary>Tokens admitted but given back (not used, or not sent: <paramref name="whole"/>, then the call does not count).</summary>
    public void GaveBack(long tokens, bool whole)
    {
        _used = Math.Max(0, _used - tokens);
        if (whole && _calls > 0)
        {
            _calls--;
            _admitted--;
        }
    }

    /// <summary>Moves the rate on when it has held long enough; true when it changed.</summary>
    public bool Tick(double now)
    {
        var staying = IsConverged && Rate <= _held;
        var elapsed = now - _since;
        if (elapsed < (staying ? ReprobeMilliseconds : HoldMilliseconds) ||
            (staying && (_calls < ReprobeCalls || _throttles + 1 > ThrottleShare * _admitted)))
        {
            return false;
        }

        if (_used < Saturated * Rate * elapsed / 1000)
        {
            // The callers did not ask for this rate: that it was not throttled says nothing. Hold it again.
            _since = now;
            _used = 0;
            return false;
        }

        if (staying)
        {
            Rate = _ceiling * ReprobeStep; // has the limit been raised?
            _calls = 0;
        }
        else
        {
            if (Rate > _ceiling)
            {
                _ceiling = double.PositiveInfinity; // a rate above the bound held: the limit was raised
            }

            _held = Math.Max(_held, Rate);
            Rate = double.IsPositiveInfinity(_ceiling) ? Rate * 2 : IsConverged ? _held : Math.Sqrt(_held * _ceiling);
        }

        _since = now;
        _used = 0;
        return true;
    }

    /// <summary>A throttle: the current rate is too high.</summary>
    public void Throttled(double now)
    {
        _throttles++;
        if (now - _lastCut < CooldownMilliseconds)
        {
            return;
        }

        _lastCut = now;
        _calls = 0;
        _ceiling = Math.Min(_ceiling, Rate);
        if (_held >= _ceiling)
        {
            _held = Math.Max(Min, _ceiling / 2); // the limit was lowered below what held
        }

        Rate = IsConverged ? _held : Math.Sqrt(_held * _ceiling);
        _since = now;
        _used = 0;
    }
}
