using System;
using System.Linq;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using RetryAnalyzers.Runtime;
using RetryAnalyzers.Runtime.Redis;
using RetryAnalyzers.Testing;
using StackExchange.Redis;

namespace RetryAnalyzers.Benchmarks;

/// <summary>
/// The three budgets of one run, sized never to run dry (the cost of the bookkeeping and the round trip, not of
/// waiting): the in-process <see cref="TokenBudget"/>, a <see cref="RedisTokenBudget"/> on a local redis-server (one
/// round trip per acquire), and the same with leasing (1,000 tokens per round trip).
/// </summary>
public abstract class RedisBudgetBase
{
    private RedisServer _server = null!;
    private ConnectionMultiplexer _redis = null!;

    protected TokenBudget Local { get; private set; } = null!;

    protected RedisTokenBudget Shared { get; private set; } = null!;

    protected RedisTokenBudget Leased { get; private set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = new RedisServer();
        _redis = ConnectionMultiplexer.Connect(_server.Configuration);
        var limit = new TokenBudgetOptions { TokensPerSecond = 1e9, Burst = long.MaxValue / 4 };
        Local = new TokenBudget(limit);
        Shared = new RedisTokenBudget(_redis, new RedisTokenBudgetOptions { Name = "bench:shared", Budget = limit });
        Leased = new RedisTokenBudget(_redis, new RedisTokenBudgetOptions { Name = "bench:leased", Budget = limit, LeaseTokens = 1_000, LeaseDuration = TimeSpan.FromMinutes(1) });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Local.Dispose();
        Shared.Dispose();
        Leased.Dispose();
        _redis.Dispose();
        _server.Dispose();
    }
}

/// <summary>One acquire per iteration, so the percentiles are those of single acquires (round trip included).</summary>
[Config(typeof(LatencyConfig))]
public class RedisBudgetLatencyBenchmarks : RedisBudgetBase
{
    [Benchmark(Baseline = true, Description = "TokenBudget (in-process)")]
    public ValueTask InProcess() => Local.AcquireTokensAsync(1);

    [Benchmark(Description = "RedisTokenBudget (1 round trip)")]
    public ValueTask Redis() => Shared.AcquireTokensAsync(1);

    [Benchmark(Description = "RedisTokenBudget, LeaseTokens = 1000")]
    public ValueTask RedisLeased() => Leased.AcquireTokensAsync(1);

    private sealed class LatencyConfig : ManualConfig
    {
        public LatencyConfig()
        {
            AddJob(Job.Default.WithStrategy(RunStrategy.Monitoring).WithInvocationCount(1).WithUnrollFactor(1).WithWarmupCount(200).WithIterationCount(3_000).WithLaunchCount(1));
            AddColumn(StatisticColumn.P50, StatisticColumn.P95, new PercentileColumn(99));
        }
    }

    private sealed class PercentileColumn(int percentile) : IColumn
    {
        public string Id => "P" + percentile;

        public string ColumnName => "P" + percentile;

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Statistics;

        public int PriorityInCategory => percentile;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Time;

        public string Legend => percentile + "th percentile of single acquires";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
            => summary[benchmarkCase]?.ResultStatistics is { } statistics
                ? (statistics.Percentiles.Percentile(percentile) / 1000.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " μs"
                : "-";

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}

/// <summary>Acquires per second of one process: 1,024 acquires by 16 concurrent callers per invocation.</summary>
public class RedisBudgetThroughputBenchmarks : RedisBudgetBase
{
    private const int Callers = 16;
    private const int PerCaller = 64;

    [Benchmark(Baseline = true, OperationsPerInvoke = Callers * PerCaller, Description = "TokenBudget (in-process)")]
    public Task InProcess() => Run(Local);

    [Benchmark(OperationsPerInvoke = Callers * PerCaller, Description = "RedisTokenBudget (1 round trip)")]
    public Task Redis() => Run(Shared);

    [Benchmark(OperationsPerInvoke = Callers * PerCaller, Description = "RedisTokenBudget, LeaseTokens = 1000")]
    public Task RedisLeased() => Run(Leased);

    private static Task Run(ProviderTokenBudget budget)
        => Task.WhenAll(Enumerable.Range(0, Callers).Select(async _ =>
        {
            for (var i = 0; i < PerCaller; i++)
            {
                await budget.AcquireTokensAsync(1).ConfigureAwait(false);
            }
        }));
}
