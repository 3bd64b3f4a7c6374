using System;
using System.Threading;

namespace RetryAnalyzers.Runtime.Internal;

/// <summary>A thread-safe source of uniform doubles in [0, 1).</summary>
internal static class RandomUtil
{
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
