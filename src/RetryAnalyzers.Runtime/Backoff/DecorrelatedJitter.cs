using System;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// Polly's decorrelated-jitter V2 formula (George Polevoy, Polly issue #530): with <c>t = attempt + U</c>,
/// <c>g(t) = 2^t · tanh(√(4t))</c> and a delay of <c>(g(t) − g(previous t)) / 1.4 · baseDelay</c>. Measured medians
/// are about 0.9, 1.14, 2, 4, 8, 16 × baseDelay for attempts 0–5 (tanh damps the first step, then they double);
/// delays are smooth rather than clamped, and a sequence telescopes, so the total wait after n retries stays below
/// <c>baseDelay · 2^n / 1.4</c>.
/// </summary>
internal readonly struct DecorrelatedJitter
{
    private const double PFactor = 4.0;
    private const double ScalingFactor = 1 / 1.4;

    private readonly double _baseTicks;
    private readonly long _maxTicks;
    private readonly Func<double> _randomizer;

    public DecorrelatedJitter(TimeSpan baseDelay, TimeSpan maxDelay, Func<double> randomizer)
    {
        _baseTicks = baseDelay.Ticks;
        _maxTicks = maxDelay.Ticks;
        _randomizer = randomizer;
    }

    /// <summary>g(attempt + U) for the next delay of a sequence; pass it back as <c>previous</c> for the next attempt.</summary>
    public double Next(int attempt) => Curve(attempt + Uniform());

    /// <summary>One delay of a sequence: the step from <paramref name="previous"/> to <paramref name="next"/>, capped.</summary>
    public TimeSpan Step(double previous, double next) => Cap((next - previous) * ScalingFactor * _baseTicks);

    /// <summary>
    /// The delay of one attempt on its own: the same distribution as the attempt's delay in a sequence, with the
    /// previous point drawn independently (as it is in a sequence), so no state is needed between attempts.
    /// </summary>
    public TimeSpan ForAttempt(int attempt)
    {
        var previous = attempt == 0 ? 0 : Curve(attempt - 1 + Uniform());
        return Step(previous, Next(attempt));
    }

    private static double Curve(double t) => Math.Pow(2, t) * Math.Tanh(Math.Sqrt(PFactor * t));

    private TimeSpan Cap(double ticks)
        => double.IsNaN(ticks) || ticks >= _maxTicks ? TimeSpan.FromTicks(_maxTicks) : TimeSpan.FromTicks((long)Math.Max(0, ticks));

    private double Uniform() => RandomUtil.Unit(_randomizer());
}
