using System;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// Settings of a jittered exponential backoff (decorrelated jitter, as Polly's <c>DecorrelatedJitterBackoffV2</c>).
/// The defaults are safe for rate-limited providers: a 1 s median first delay, capped at 30 s.
/// </summary>
public sealed class JitteredBackoffOptions
{
    /// <summary>The median first delay; later delays grow about twofold per attempt. Default 1 s; more than zero, at most one day.</summary>
    public TimeSpan BaseDelay { get; set; } = RuntimeDefaults.BaseDelay;

    /// <summary>No delay is longer than this. Default 30 s (<see cref="JitteredBackoff.DefaultMaxDelay"/>); at least <see cref="BaseDelay"/>, at most one day.</summary>
    public TimeSpan MaxDelay { get; set; } = RuntimeDefaults.MaxDelay;

    /// <summary>
    /// The source of uniform randomness in [0, 1). Null (the default) uses a thread-safe shared generator. Set it to make
    /// delays reproducible in tests. <see cref="Validate"/> samples it once; a later value outside [0, 1) is clamped.
    /// </summary>
    public Func<double>? Randomizer { get; set; }

    /// <summary>The clock used by the <c>DelayAsync</c> methods. Null (the default) uses <see cref="System.TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>Checks every option and throws an <see cref="ArgumentOutOfRangeException"/> naming the first invalid one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        Guard.Delay(BaseDelay, nameof(BaseDelay), nameof(BaseDelay), allowZero: false);
        Guard.Delay(MaxDelay, nameof(MaxDelay), nameof(MaxDelay), allowZero: false);
        Guard.NotShorter(MaxDelay, BaseDelay, nameof(MaxDelay), nameof(MaxDelay));
        Guard.Randomizer(Randomizer, nameof(Randomizer), nameof(Randomizer));
    }
}
