using System;
using System.Threading;

namespace RetryAnalyzers.Runtime.Internal;

/// <summary>A thread-safe source of uniform doubles in [0, 1), and the clamp every user randomizer goes through.</summary>
internal static class RandomUtil
{
    private const double BelowOne = 1 - (1.0 / (1L << 53)); // the largest double below 1

    /// <summary><paramref name="value"/> clamped to [0, 1): a randomizer that misbehaves after validation skews a delay, never throws.</summary>
    public static double Unit(double value) => value >= 0 ? Math.Min(value, BelowOne) : 0;

#if NET8_0_OR_GREATER
    public static double NextDouble() => Random.Shared.NextDouble();
#else
    private static readonly Random Seeds = new();
    private static readonly ThreadLocal<Random> Local = new(() =>
    {
        lock (Seeds)
        {
            return new Random(Seeds.Next());
        }
    });

    public static double NextDouble() => Local.Value!.NextDouble();
#endif
}
