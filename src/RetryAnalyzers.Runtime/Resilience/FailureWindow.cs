using System;

namespace RetryAnalyzers.Runtime;

/// <summary>
/// Answered and failed attempts over the breaker's sampling duration, in ten rolling buckets (as Polly's breaker). Not
/// thread-safe: the <see cref="ProviderGate"/> calls it under its lock.
/// </summary>
internal sealed class FailureWindow
{
    private const int Buckets = 10;

    private readonly long[] _answered = new long[Buckets];
    private readonly long[] _failed = new long[Buckets];
    private readonly long[] _bucketIndex = new long[Buckets];
    private readonly long _bucketTicks;

    public FailureWindow(TimeSpan samplingDuration) => _bucketTicks = Math.Max(1, samplingDuration.Ticks / Buckets);

    public void Add(TimeSpan now, bool failed)
    {
        var index = now.Ticks / _bucketTicks;
        var slot = (int)(index % Buckets);
        if (_bucketIndex[slot] != index)
        {
            _bucketIndex[slot] = index;
            _answered[slot] = 0;
            _failed[slot] = 0;
        }

        if (failed)
        {
            _failed[slot]++;
        }
        else
        {
            _answered[slot]++;
        }
    }

    /// <summary>True when at least <paramref name="minimumThroughput"/> attempts were judged and their failure share reaches <paramref name="failureRatio"/>.</summary>
    public bool Trips(TimeSpan now, int minimumThroughput, double failureRatio)
    {
        var current = now.Ticks / _bucketTicks;
        long answered = 0, failed = 0;
        for (var slot = 0; slot < Buckets; slot++)
        {
            if (current - _bucketIndex[slot] < Buckets)
            {
                answered += _answered[slot];
                failed += _failed[slot];
            }
        }

        var total = answered + failed;
        return total >= minimumThroughput && failed >= failureRatio * total;
    }

    public void Clear()
    {
        Array.Clear(_answered, 0, Buckets);
        Array.Clear(_failed, 0, Buckets);
    }
}
