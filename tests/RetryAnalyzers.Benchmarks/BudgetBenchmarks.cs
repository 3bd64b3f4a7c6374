using System;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using RetryAnalyzers.Runtime;

namespace RetryAnalyzers.Benchmarks;

/// <summary>The two limiters compared, sized so they never run dry during a run: the numbers are the cost of the bookkeeping, not of waiting.</summary>
internal static class Limiters
{
    public static (TokenBudget Budget, TokenBucketRateLimiter Bucket) Create()
        => (new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 1e12, Burst = long.MaxValue / 4 }),
            new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = int.MaxValue,
                TokensPerPeriod = int.MaxValue,
                ReplenishmentPeriod = TimeSpan.FromMilliseconds(1),
                AutoReplenishment = false,
                QueueLimit = 0,
            }));
}

/// <summary>Uncontended acquire of the shared token budget next to .NET's own token bucket, in the same run.</summary>
[MemoryDiagnoser]
public class BudgetBenchmarks
{
    private TokenBudget _budget = null!;
    private TokenBucketRateLimiter _bucket = null!;

    [GlobalSetup]
    public void Setup() => (_budget, _bucket) = Limiters.Create();

    [GlobalCleanup]
    public void Cleanup()
    {
        _budget.Dispose();
        _bucket.Dispose();
    }

    [Benchmark(Baseline = true, Description = "TokenBucketRateLimiter.AttemptAcquire(1)")]
    public bool TokenBucket_AttemptAcquire()
    {
        using var lease = _bucket.AttemptAcquire(1);
        return lease.IsAcquired;
    }

    [Benchmark(Description = "TokenBudget.TryAcquire(1)")]
    public bool Budget_TryAcquire() => _budget.TryAcquire(1);

    [Benchmark(Description = "TokenBudget.AttemptAcquire(1) (RateLimiter API)")]
    public bool Budget_AttemptAcquire()
    {
        using var lease = _budget.AttemptAcquire(1);
        return lease.IsAcquired;
    }

    [Benchmark(Description = "TokenBucketRateLimiter.AcquireAsync(1)")]
    public async ValueTask<bool> TokenBucket_AcquireAsync()
    {
        using var lease = await _bucket.AcquireAsync(1);
        return lease.IsAcquired;
    }

    [Benchmark(Description = "TokenBudget.AcquireTokensAsync(1500)")]
    public ValueTask Budget_AcquireTokensAsync() => _budget.AcquireTokensAsync(1_500);
}

/// <summary>Two threads acquiring from one budget (and from one TokenBucketRateLimiter) at once.</summary>
[MemoryDiagnoser]
public class ContendedBudgetBenchmarks
{
    private const int PerThread = 100_000;
    private TokenBudget _budget = null!;
    private TokenBucketRateLimiter _bucket = null!;

    [GlobalSetup]
    public void Setup() => (_budget, _bucket) = Limiters.Create();

    [GlobalCleanup]
    public void Cleanup()
    {
        _budget.Dispose();
        _bucket.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = 2 * PerThread, Description = "TokenBucketRateLimiter, 2 threads")]
    public void TokenBucket_TwoThreads() => RunOnTwoThreads(() =>
    {
        for (var i = 0; i < PerThread; i++)
        {
            _bucket.AttemptAcquire(1).Dispose();
        }
    });

    [Benchmark(OperationsPerInvoke = 2 * PerThread, Description = "TokenBudget, 2 threads")]
    public void Budget_TwoThreads() => RunOnTwoThreads(() =>
    {
        for (var i = 0; i < PerThread; i++)
        {
            _budget.TryAcquire(1);
        }
    });

    private static void RunOnTwoThreads(Action work)
    {
        var other = new Thread(() => work());
        other.Start();
        work();
        other.Join();
    }
}
