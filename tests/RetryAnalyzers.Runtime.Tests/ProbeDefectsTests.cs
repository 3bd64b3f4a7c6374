using System;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>Regression tests for extreme inputs to the budget, header learning, statistics, randomizers and keys.</summary>
public sealed class ProbeDefectsTests
{
    private readonly FakeTimeProvider _clock = new();

    private TokenBudget Budget(double perSecond, long burst)
        => new(new TokenBudgetOptions { TokensPerSecond = perSecond, Burst = burst, TimeProvider = _clock });

    // A normal caller on the same budget is still served once the clock has run for a while (at most an hour of debt).
    private async Task ANormalCallerIsServed(TokenBudget budget, long tokens = 10)
    {
        var wait = budget.AcquireTokensAsync(tokens).AsTask();
        for (var i = 0; i < 200 && !wait.IsCompleted; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.True(wait.IsCompleted);
        await wait;
        Assert.Equal(0, budget.QueuedCount);
    }

    [Fact]
    public async Task AcquireOfLongMaxValue_IsAdmittedWhenFull_AndLaterCallersAreStillServed()
    {
        using var budget = Budget(perSecond: 1_000, burst: 1_000);

        await budget.AcquireTokensAsync(long.MaxValue); // full: admitted, leaves (bounded) debt
        Assert.True(budget.AvailableTokens < 0);

        await ANormalCallerIsServed(budget);
        await ANormalCallerIsServed(budget);
        Assert.Equal(10, budget.TokensWaitedFor);
    }

    [Fact]
    public async Task AWaiterOfLongMaxValue_IsAdmitted_AndTheCountOfTokensWaitedForSaturates()
    {
        using var budget = Budget(perSecond: 1_000, burst: 1_000);
        Assert.True(budget.TryAcquire(1_000));

        var huge = budget.AcquireTokensAsync(long.MaxValue).AsTask();
        _clock.Advance(TimeSpan.FromSeconds(1));
        await huge;

        await ANormalCallerIsServed(budget);
        Assert.Equal(long.MaxValue, budget.TokensWaitedFor);
    }

    [Fact]
    public async Task ReconcileOfAHugeUsage_LeavesBoundedDebt_AndLaterCallersAreStillServed()
    {
        using var budget = Budget(perSecond: 1_000, burst: 1_000);

        budget.Reconcile(0, 1_000_000_000_000);
        Assert.Equal(-3_600_000, budget.AvailableTokens, precision: 6); // at most one hour of refill

        budget.Reconcile(0, long.MaxValue);
        budget.Reconcile(long.MaxValue, 0);
        Assert.Equal(1_000, budget.AvailableTokens, precision: 6);      // never above the burst

        budget.Reconcile(0, long.MaxValue);
        await ANormalCallerIsServed(budget);
    }

    [Fact]
    public async Task ALongWait_ArmsTheTimerAtMostForItsLongestDueTime_AndReArmsIt()
    {
        // At 1 token per hour a burst of 100,000 takes about 11 years to refill: far beyond a timer's 49.7 days.
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 1.0 / 3600, Burst = 100_000, InitialTokens = 0, TimeProvider = _clock });

        var wait = budget.AcquireTokensAsync(100_000).AsTask();
        Assert.Equal(1, budget.QueuedCount);

        _clock.Advance(TimeSpan.FromDays(50)); // the capped timer fires early and is re-armed
        Assert.False(wait.IsCompleted);
        _clock.Advance(TimeSpan.FromHours(100_000) - TimeSpan.FromDays(50));
        await wait;
        Assert.Equal(0, budget.QueuedCount);
    }

    [Theory]
    [InlineData(1e-7)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void AnAbsurdRate_IsRejectedAtConfiguration_ByName(double rate)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBudget(new TokenBudgetOptions { TokensPerSecond = rate, TimeProvider = _clock }));
        Assert.Equal("TokensPerSecond", error.ParamName);
        Assert.Contains("TokenBudgetOptions.TokensPerSecond", error.Message);
    }

    [Fact]
    public async Task TheSmallestRate_OneTokenPerHour_Works()
    {
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 1.0 / 3600, TimeProvider = _clock });
        Assert.Equal(1, budget.Burst);
        Assert.True(budget.TryAcquire(1));

        var wait = budget.AcquireTokensAsync(1).AsTask();
        _clock.Advance(TimeSpan.FromMinutes(59));
        Assert.False(wait.IsCompleted);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await wait;
    }

    [Fact]
    public async Task AsARateLimiter_AFullQueueOfAHugeLease_FailsWithABoundedRetryAfter()
    {
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 1.0 / 3600, Burst = 1, InitialTokens = 0, QueueLimit = 0, TimeProvider = _clock });

        using var lease = await budget.AcquireAsync(int.MaxValue);

        Assert.False(lease.IsAcquired);
        Assert.True(lease.TryGetMetadata(System.Threading.RateLimiting.MetadataName.RetryAfter, out var retryAfter));
        Assert.True(retryAfter > TimeSpan.Zero);
    }

    [Fact]
    public async Task Statistics_CountAWaitedThenGrantedLeaseOnce_AsASuccess()
    {
        using var budget = Budget(perSecond: 10, burst: 10);
        using (var first = await budget.AcquireAsync(10))
        {
            Assert.True(first.IsAcquired);
        }

        var waited = budget.AcquireAsync(5).AsTask();
        Assert.False(waited.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(1));
        using (var lease = await waited)
        {
            Assert.True(lease.IsAcquired);
        }

        var statistics = budget.GetStatistics()!;
        Assert.Equal(2, statistics.TotalSuccessfulLeases);
        Assert.Equal(0, statistics.TotalFailedLeases);
    }
    public static TheoryData<double> OutOfRange => new() { 1.0, 1.5, -0.1, double.NaN, double.PositiveInfinity };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void ARandomizerOutOfRange_IsRejectedAtBuild_ByName(double value)
    {
        var backoff = Assert.Throws<ArgumentOutOfRangeException>(() => new RetryBackoff(new JitteredBackoffOptions { Randomizer = () => value }));
        Assert.Equal("Randomizer", backoff.ParamName);
        Assert.Contains("Randomizer must return values from 0 (inclusive) to 1 (exclusive); it returned ", backoff.Message);

        var retry = Assert.Throws<ArgumentOutOfRangeException>(() => new ResiliencePipelineBuilder().AddJitteredRetry(new JitteredRetryStrategyOptions { Randomizer = () => value }));
        Assert.Equal("Randomizer", retry.ParamName);
        Assert.Contains("Randomizer must return values from 0 (inclusive) to 1 (exclusive)", retry.Message);
    }

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void ARandomizerThatGoesOutOfRangeLater_IsClamped_NeverThrows(double value)
    {
        var calls = 0;
        var backoff = new RetryBackoff(new JitteredBackoffOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(30), Randomizer = () => calls++ == 0 ? 0.5 : value });

        for (var i = 0; i < 5; i++)
        {
            Assert.InRange(backoff.NextDelay(), TimeSpan.Zero, TimeSpan.FromSeconds(30));
        }
    }

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public async Task APollyRetryWhoseRandomizerGoesOutOfRangeLater_StillRetries(double value)
    {
        var calls = 0;
        var clock = new FakeTimeProvider();
        var pipeline = new ResiliencePipelineBuilder { TimeProvider = clock }
            .AddJitteredRetry(new JitteredRetryStrategyOptions { MaxRetryAttempts = 2, Randomizer = () => calls++ == 0 ? 0.5 : value })
            .Build();

        var attempts = 0;
        var run = pipeline.ExecuteAsync(_ => ++attempts < 3 ? throw new InvalidOperationException("transient") : new ValueTask<int>(attempts)).AsTask();
        for (var i = 0; i < 100 && !run.IsCompleted; i++)
        {
            await Task.Delay(10); // let the retry arm its delay on the fake clock
            clock.Advance(TimeSpan.FromSeconds(30));
        }

        Assert.True(run.IsCompleted);
        Assert.Equal(3, await run);
    }
    private static HttpResponseMessage Limit(long tokensPerMinute)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.Add("x-ratelimit-limit-tokens", tokensPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return response;
    }

    [Fact]
    public async Task ARateLearnedFromHeaders_GoesDown_AndBackUp_WithinTheConfiguration()
    {
        using var budget = Budget(perSecond: 1_000, burst: 1_000);

        using (var low = Limit(1))
        {
            budget.ApplyRateLimitHeaders(low);
        }

        Assert.Equal(1 / 60.0, budget.TokensPerSecond, precision: 9);
        Assert.Equal(1, budget.Burst);

        using (var back = Limit(4_000_000))
        {
            budget.ApplyRateLimitHeaders(back);
        }

        Assert.Equal(1_000, budget.TokensPerSecond, precision: 9); // raised back, never above the configured 1,000/s
        Assert.Equal(1_000, budget.Burst);

        using (var some = Limit(30_000))
        {
            budget.ApplyRateLimitHeaders(some);
        }

        Assert.Equal(500, budget.TokensPerSecond, precision: 9);
        Assert.Equal(500, budget.Burst);

        using (var more = Limit(48_000))
        {
            budget.ApplyRateLimitHeaders(more);
        }

        Assert.Equal(800, budget.TokensPerSecond, precision: 9);
        Assert.Equal(800, budget.Burst);

        // And the raised rate serves callers at that rate: 800 tokens in one second.
        Assert.True(budget.TryAcquire(800));
        var wait = budget.AcquireTokensAsync(800).AsTask();
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(wait.IsCompleted);
        await wait;
    }

    [Fact]
    public async Task ARaisedRate_ServesAWaiterQueuedAtTheLowRate_Sooner()
    {
        using var budget = Budget(perSecond: 100, burst: 100);
        using (var low = Limit(60))
        {
            budget.ApplyRateLimitHeaders(low); // 1 token/s, burst 1
        }

        Assert.True(budget.TryAcquire(1));
        var wait = budget.AcquireTokensAsync(50).AsTask(); // at 1/s: 1 s (the burst), a timer armed for it

        using (var back = Limit(6_000))
        {
            budget.ApplyRateLimitHeaders(back); // 100 tokens/s again
        }

        _clock.Advance(TimeSpan.FromSeconds(0.5)); // 50 tokens at 100/s
        Assert.True(wait.IsCompleted);
        await wait;
        Assert.Equal(0, budget.QueuedCount);
    }
    [Fact]
    public void AnAgentKey_IsNeverSerialized_NorShownByToString()
    {
        const string Secret = "sk-probe-secret-0001";
        var key = AgentKeys.Resolve("ResearchAgent", "OPENAI_API_KEY", name => name == "OPENAI_API_KEY_RESEARCH_AGENT" ? Secret : null);

        var json = System.Text.Json.JsonSerializer.Serialize(key);
        Assert.DoesNotContain(Secret, json, StringComparison.Ordinal);
        Assert.Contains("OPENAI_API_KEY_RESEARCH_AGENT", json, StringComparison.Ordinal); // the rest is still there
        Assert.DoesNotContain(Secret, key.ToString(), StringComparison.Ordinal);
        Assert.Equal(Secret, key.Reveal());
    }
}
