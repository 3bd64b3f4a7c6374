using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.RateLimiting;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace RetryAnalyzers.Runtime.Tests;

public sealed class TokenBudgetTests
{
    private readonly FakeTimeProvider _clock = new();

    private TokenBudget Budget(double perSecond, long burst, long initial = -1)
        => new(new TokenBudgetOptions { TokensPerSecond = perSecond, Burst = burst, InitialTokens = initial, TimeProvider = _clock });

    [Fact]
    public void WithinTheBurst_AcquiresAtOnce_ThenRefillsAtTheRate()
    {
        using var budget = Budget(perSecond: 100, burst: 1_000);

        Assert.True(budget.TryAcquire(600));
        Assert.True(budget.TryAcquire(400));
        Assert.False(budget.TryAcquire(1));

        _clock.Advance(TimeSpan.FromSeconds(2.5));
        Assert.Equal(250, budget.AvailableTokens, precision: 6);
        _clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1_000, budget.AvailableTokens, precision: 6); // never above the burst
    }

    [Fact]
    public async Task Waiters_AreServedFirstInFirstOut_AndNobodyOvertakes()
    {
        using var budget = Budget(perSecond: 100, burst: 1_000, initial: 0);
        var big = budget.AcquireTokensAsync(500).AsTask();
        var small = budget.AcquireTokensAsync(10).AsTask();
        Assert.False(budget.TryAcquire(1)); // a newcomer does not overtake the queue either
        Assert.Equal(2, budget.QueuedCount);

        _clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(big.IsCompleted);
        Assert.False(small.IsCompleted); // 490 tokens would fit the small one: FIFO keeps it behind the big one

        _clock.Advance(TimeSpan.FromSeconds(0.1));
        await big.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(small.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(0.1));
        await small.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(510, budget.TokensWaitedFor);
    }

    [Fact]
    public async Task ARequestLargerThanTheBurst_IsAdmittedWhenFull_AndLeavesDebt_NotAnException()
    {
        using var budget = Budget(perSecond: 100, burst: 1_000, initial: 200);
        var huge = budget.AcquireTokensAsync(5_000).AsTask();
        var next = budget.AcquireTokensAsync(100).AsTask();

        _clock.Advance(TimeSpan.FromSeconds(8)); // full after 8 s
        await huge.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(-4_000, budget.AvailableTokens, precision: 6);

        // The debt is paid by the refill; the next request waits for it, no longer than the refill takes.
        _clock.Advance(TimeSpan.FromSeconds(40));
        Assert.False(next.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await next.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task CancellingAWait_TakesNoTokens_AndLetsTheNextOneThrough()
    {
        using var budget = Budget(perSecond: 100, burst: 1_000, initial: 50);
        using var cancel = new CancellationTokenSource();
        var first = budget.AcquireTokensAsync(900, cancel.Token).AsTask();
        var second = budget.AcquireTokensAsync(50).AsTask();
        Assert.False(second.IsCompleted);

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        await second.WaitAsync(TimeSpan.FromSeconds(5)); // the 50 tokens were there all along
        Assert.Equal(0, budget.AvailableTokens, precision: 6);
        Assert.Equal(50, budget.TokensWaitedFor); // the cancelled 900 are not counted
    }

    [Fact]
    public async Task AnAlreadyCancelledToken_Throws_WithoutTakingTokens()
    {
        using var budget = Budget(perSecond: 10, burst: 100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => budget.AcquireTokensAsync(10, new CancellationToken(canceled: true)).AsTask());
        Assert.Equal(100, budget.AvailableTokens, precision: 6);
    }

    [Fact]
    public void Reconcile_ReturnsTheUnusedEstimate_AndChargesTheExcess()
    {
        using var budget = Budget(perSecond: 1, burst: 1_000);
        Assert.True(budget.TryAcquire(800));
        budget.Reconcile(estimatedTokens: 800, actualTokens: 300);
        Assert.Equal(700, budget.AvailableTokens, precision: 6);
        budget.Reconcile(estimatedTokens: 100, actualTokens: 900);
        Assert.Equal(-100, budget.AvailableTokens, precision: 6);
    }

    [Fact]
    public void RateLimitHeaders_LowerTheBalance_AndSetTheRateWithinTheConfiguration()
    {
        using var budget = Budget(perSecond: 1_000, burst: 1_000);
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.Add("x-ratelimit-limit-tokens", "30000");     // 500 per second
        response.Headers.Add("x-ratelimit-remaining-tokens", "120");
        budget.ApplyRateLimitHeaders(response);

        Assert.Equal(500, budget.TokensPerSecond, precision: 6);
        Assert.Equal(120, budget.AvailableTokens, precision: 6);

        using var generous = new HttpResponseMessage(HttpStatusCode.OK);
        generous.Headers.Add("x-ratelimit-limit-tokens", "9000000");
        generous.Headers.Add("anthropic-ratelimit-tokens-remaining", "999999");
        budget.ApplyRateLimitHeaders(generous);
        Assert.Equal(1_000, budget.TokensPerSecond, precision: 6); // raised back to the configured rate, never above
        Assert.Equal(120, budget.AvailableTokens, precision: 6);
    }

    [Theory]
    [InlineData(4_000_000, 60_000)]
    [InlineData(3_000, 500)]
    public void ForRollingWindow_NeverAdmitsMoreThanTheLimitInAnyWindow(long limit, int windowMs)
    {
        var options = TokenBudgetOptions.ForRollingWindow(limit, TimeSpan.FromMilliseconds(windowMs));
        options.TimeProvider = _clock;
        using var budget = new TokenBudget(options);

        // Greedy worst case: take everything as soon as it is there, in steps of 1/500 window, over three windows.
        var step = Math.Max(1, windowMs / 500);
        var takenAt = new System.Collections.Generic.List<(int At, long Tokens)>();
        for (var ms = 0; ms < 3 * windowMs; ms += step)
        {
            var available = (long)Math.Floor(budget.AvailableTokens);
            if (available > 0 && budget.TryAcquire(available))
            {
                takenAt.Add((ms, available));
            }

            _clock.Advance(TimeSpan.FromMilliseconds(step));
        }

        var worstWindow = takenAt.Max(start => takenAt.Where(t => t.At >= start.At && t.At < start.At + windowMs).Sum(t => t.Tokens));
        Assert.InRange(worstWindow, limit * 0.95, limit);
    }

    [Fact]
    public void RemainingTokensOfASlowResponse_CountTheRefillSinceTheRequest()
    {
        using var budget = Budget(perSecond: 100, burst: 1_000);
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.Add("x-ratelimit-remaining-tokens", "200"); // true when the request was admitted, 6 s ago

        budget.ApplyRateLimitHeaders(response, TimeSpan.FromSeconds(6));
        Assert.Equal(800, budget.AvailableTokens, precision: 6);     // 200 + 6 s × 100/s

        budget.ApplyRateLimitHeaders(response, TimeSpan.FromSeconds(20));
        Assert.Equal(800, budget.AvailableTokens, precision: 6);     // 2,200 would be more than it has: never raised
    }

    [Fact]
    public void ManyThreads_NeverTakeMoreThanTheBudgetHolds()
    {
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 0.001, Burst = 10_000, TimeProvider = _clock });
        var taken = 0;
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                if (budget.TryAcquire(1))
                {
                    Interlocked.Increment(ref taken);
                }
            }
        });

        Assert.Equal(10_000, taken);
    }

    [Fact]
    public async Task ParallelWaiters_AreAllServed_WithoutLosingTokens()
    {
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 50_000, Burst = 1_000 });
        var waits = Enumerable.Range(0, 200).Select(_ => Task.Run(() => budget.AcquireTokensAsync(100).AsTask())).ToArray();
        await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(20)); // 20,000 tokens at 50,000/s: about 0.4 s
        Assert.Equal(0, budget.QueuedCount);
        Assert.InRange(budget.AvailableTokens, -1, 1_000);
    }

    [Fact]
    public async Task AsARateLimiter_ItIsAcceptedByPollysAddRateLimiter()
    {
        using var budget = Budget(perSecond: 1, burst: 2);
        var pipeline = new ResiliencePipelineBuilder().AddRateLimiter(budget).Build();

        await pipeline.ExecuteAsync(_ => default);
        await pipeline.ExecuteAsync(_ => default);
        Assert.Equal(0, budget.AvailableTokens, precision: 6);

        using var lease = budget.AttemptAcquire(1);
        Assert.False(lease.IsAcquired);
        Assert.Equal(2, budget.GetStatistics()!.TotalSuccessfulLeases);
    }

    [Fact]
    public async Task AddTokenBudget_ChargesEachExecutionItsTokenCost()
    {
        using var budget = Budget(perSecond: 1, burst: 10_000);
        var pipeline = new ResiliencePipelineBuilder().AddTokenBudget(budget).Build();
        var context = ResilienceContextPool.Shared.Get();
        context.Properties.Set(TokenBudgetPipelineBuilderExtensions.TokenCost, 1_500L);

        await pipeline.ExecuteAsync(_ => default, context);
        ResilienceContextPool.Shared.Return(context);

        Assert.Equal(8_500, budget.AvailableTokens, precision: 6);
    }

    public static TheoryData<Func<TokenBudgetOptions>, string> InvalidOptions() => new()
    {
        { () => new TokenBudgetOptions { TokensPerSecond = -1 }, "TokensPerSecond" },
        { () => new TokenBudgetOptions { TokensPerSecond = 10, Window = TimeSpan.FromSeconds(-1) }, "Window" },
        { () => new TokenBudgetOptions { TokensPerSecond = 10, Window = TimeSpan.FromDays(2) }, "Window" },
        { () => new TokenBudgetOptions { TokensPerSecond = double.PositiveInfinity }, "TokensPerSecond" },
        { () => new TokenBudgetOptions { TokensPerSecond = 10, Burst = -1 }, "Burst" },
        { () => new TokenBudgetOptions { TokensPerSecond = 10, Burst = 5, InitialTokens = 6 }, "InitialTokens" },
        { () => new TokenBudgetOptions { TokensPerSecond = 10, QueueLimit = -1 }, "QueueLimit" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void InvalidOptions_ThrowAtConstruction_NamingTheOption(Func<TokenBudgetOptions> options, string option)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBudget(options()));
        Assert.Equal(option, error.ParamName);
        Assert.Contains("TokenBudgetOptions." + option, error.Message);
    }

    [Fact]
    public void ANullClock_ThrowsAtConstruction_NamingTheOption()
    {
        var error = Assert.Throws<ArgumentNullException>(() => new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 10, TimeProvider = null! }));
        Assert.Equal("TimeProvider", error.ParamName);
        Assert.Contains("TokenBudgetOptions.TimeProvider", error.Message);
    }

    [Fact]
    public async Task AFullQueue_FailsTheLease_AndThrowsFromAcquireAsync()
    {
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 1, Burst = 1, InitialTokens = 0, QueueLimit = 1, TimeProvider = _clock });
        var queued = budget.AcquireTokensAsync(1).AsTask();

        using var lease = await budget.AcquireAsync(permitCount: 1);
        Assert.False(lease.IsAcquired);
        Assert.True(lease.TryGetMetadata(MetadataName.RetryAfter, out _));
        var error = Assert.Throws<InvalidOperationException>(() => budget.AcquireTokensAsync(1));
        Assert.Contains("QueueLimit", error.Message);

        _clock.Advance(TimeSpan.FromSeconds(1));
        await queued.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
