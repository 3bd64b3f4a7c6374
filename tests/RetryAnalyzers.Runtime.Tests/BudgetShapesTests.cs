using System;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using RetryAnalyzers.Runtime.Internal;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>
/// The budget's shapes beside the bucket: a rolling window, a limit learned from the first answer, an adaptive rate
/// found from 429s alone. Virtual time throughout.
/// </summary>
public sealed class BudgetShapesTests
{
    private static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(250); // an admission counts this much longer than a 60 s window
    private readonly FakeTimeProvider _clock = new();

    private static HttpResponseMessage Answer(HttpStatusCode status, long? limitPerMinute = null, long? remaining = null)
    {
        var response = new HttpResponseMessage(status);
        if (limitPerMinute is { } limit)
        {
            response.Headers.TryAddWithoutValidation("x-ratelimit-limit-tokens", limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (remaining is { } left)
        {
            response.Headers.TryAddWithoutValidation("x-ratelimit-remaining-tokens", left.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return response;
    }

    private TokenBudget Window(long limit = 60_000)
    {
        var options = TokenBudgetOptions.PerMinute(limit);
        options.TimeProvider = _clock;
        return new TokenBudget(options);
    }

    private TokenBudget Unconfigured() => new(new TokenBudgetOptions { TimeProvider = _clock });

    [Fact]
    public void AWindow_SpendsAFreshWindowAtOnce_ThenNothingUntilItsTokensLeaveTheWindow()
    {
        using var budget = Window();
        Assert.Equal(TimeSpan.FromMinutes(1), budget.Window);
        Assert.True(budget.TryAcquire(40_000));
        Assert.True(budget.TryAcquire(20_000)); // a bucket of 1 s could not: the whole minute's limit at once
        Assert.False(budget.TryAcquire(1));

        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.False(budget.TryAcquire(1)); // a bucket would have refilled 59 s of tokens by now

        _clock.Advance(TimeSpan.FromSeconds(1) + Slack);
        Assert.True(budget.TryAcquire(60_000));
    }

    [Fact]
    public void AWindow_AdmitsEachTokenAsSoonAsAnEarlierOneLeavesIt()
    {
        using var budget = Window();
        Assert.True(budget.TryAcquire(30_000));
        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.True(budget.TryAcquire(30_000));

        _clock.Advance(TimeSpan.FromSeconds(40) + Slack); // the first 30,000 left the window, the second not
        Assert.True(budget.TryAcquire(30_000));
        Assert.False(budget.TryAcquire(1));
        Assert.Equal(0, budget.AvailableTokens, precision: 6);
    }

    [Fact]
    public async Task AWaiter_IsAdmittedWhenTheWindowFreesItsTokens()
    {
        using var budget = Window();
        Assert.True(budget.TryAcquire(50_000));
        var waiting = budget.AcquireTokensAsync(20_000).AsTask();
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.False(waiting.IsCompleted);

        _clock.Advance(TimeSpan.FromSeconds(1) + Slack);
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(40_000, budget.AvailableTokens, precision: 6);
    }

    [Fact]
    public void AWindow_GivesBackTheUnusedEstimate_AndCountsWhatTheProviderSaysItHasCounted()
    {
        using var budget = Window();
        Assert.True(budget.TryAcquire(50_000));
        budget.Reconcile(50_000, 10_000); // the call used 10,000 of its estimate
        Assert.Equal(50_000, budget.AvailableTokens, precision: 6);

        using var answer = Answer(HttpStatusCode.OK, remaining: 20_000); // another process spent 30,000 more of the key
        budget.ApplyRateLimitHeaders(answer);
        Assert.Equal(20_000, budget.AvailableTokens, precision: 6);
    }

    [Fact]
    public void AWindow_AdmitsARequestLargerThanItsLimit_OnlyWhenEmpty_AndNeverTwoInOneWindow()
    {
        using var budget = Window();
        Assert.True(budget.TryAcquire(1));
        Assert.False(budget.TryAcquire(100_000));
        _clock.Advance(TimeSpan.FromMinutes(1) + Slack);
        Assert.True(budget.TryAcquire(100_000));
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.False(budget.TryAcquire(1));
    }

    [Fact]
    public void AWindow_GivesNothingBack_ForAnAdmissionThatHasLeftIt()
    {
        using var budget = Window();
        Assert.True(budget.TryAcquire(50_000)); // a long stream's estimate
        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.True(budget.TryAcquire(10_000));
        _clock.Advance(TimeSpan.FromSeconds(31)); // the first admission has left the window
        budget.Reconcile(50_000, 1_000, TimeSpan.FromSeconds(61)); // its usage arrives only now

        Assert.Equal(50_000, budget.AvailableTokens, precision: 6); // the second call's 10,000 still count
        budget.Reconcile(10_000, 1_000, TimeSpan.FromSeconds(31)); // still in the window: its unused part comes back
        Assert.Equal(59_000, budget.AvailableTokens, precision: 6);
    }

    [Fact]
    public void AWindowSmallerThanOneToken_StillAdmitsOneTokenPerWindow()
    {
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 0.5, Window = TimeSpan.FromSeconds(1), TimeProvider = _clock });
        Assert.True(budget.TryAcquire(1));
        Assert.False(budget.TryAcquire(1));
        _clock.Advance(TimeSpan.FromMilliseconds(1_100)); // the window and its slack (a tenth of it)
        Assert.True(budget.TryAcquire(1));
    }

    [Fact]
    public void Unconfigured_SendsOneCallAtATime_UntilAnAnswerSaysTheLimit()
    {
        using var budget = Unconfigured();
        Assert.Equal(0, budget.TokensPerSecond);
        Assert.True(budget.TryAcquire(5_000));
        Assert.False(budget.TryAcquire(1)); // the first call is still out

        using var answer = Answer(HttpStatusCode.OK, limitPerMinute: 610_000, remaining: 600_000);
        budget.ApplyRateLimitHeaders(answer);

        Assert.Equal(10_000, budget.TokensPerSecond, precision: 6); // limit / 61: no 60 s window of the limit can refuse it
        Assert.Equal(10_000, budget.Burst);
        Assert.True(budget.TryAcquire(5_000)); // the first call, still out (answered at once here), is charged to the learned budget
        Assert.False(budget.TryAcquire(1));
        budget.Reconcile(5_000, 2_000); // …and settled against it when its usage is known
        Assert.Equal(3_000, budget.AvailableTokens, precision: 6);
    }

    [Fact]
    public void Unconfigured_KeepsTheLimitCurrent_WithoutRefillingOnEveryAnswer()
    {
        using var budget = Unconfigured();
        Assert.True(budget.TryAcquire(5_000));
        using (var first = Answer(HttpStatusCode.OK, limitPerMinute: 610_000))
        {
            budget.ApplyRateLimitHeaders(first);
        }

        Assert.True(budget.TryAcquire(5_000));
        using (var raised = Answer(HttpStatusCode.OK, limitPerMinute: 1_220_000))
        {
            budget.ApplyRateLimitHeaders(raised);
        }

        Assert.Equal(20_000, budget.TokensPerSecond, precision: 6);
        Assert.Equal(0, budget.AvailableTokens, precision: 6); // the answer raised the rate, not the balance
    }

    [Fact]
    public void Unconfigured_WithoutLimitHeaders_StartsAnAdaptiveRate_AtTheFirstCallsTokensOverItsTime()
    {
        using var budget = Unconfigured();
        Assert.True(budget.TryAcquire(6_000));
        _clock.Advance(TimeSpan.FromSeconds(3));
        using var answer = Answer(HttpStatusCode.OK); // no rate-limit headers
        budget.ApplyRateLimitHeaders(answer);
        budget.Reconcile(6_000, 6_000);

        Assert.Equal(2_000, budget.TokensPerSecond, precision: 6);
        Assert.True(budget.TryAcquire(2_000)); // the first call's 6,000 were refilled at that rate while it was out
        Assert.False(budget.TryAcquire(1));
    }

    [Fact]
    public void Unconfigured_AnUnansweredFirstCall_DoesNotHoldEveryoneForever()
    {
        using var budget = Unconfigured();
        Assert.True(budget.TryAcquire(5_000));
        var waiting = budget.AcquireTokensAsync(1_000).AsTask();
        _clock.Advance(TimeSpan.FromSeconds(9));
        Assert.False(waiting.IsCompleted);

        _clock.Advance(TimeSpan.FromSeconds(1)); // 10 s without an answer: it stops waiting for one
        Assert.Equal(500, budget.TokensPerSecond, precision: 6); // that call's tokens over 10 s
        Assert.True(waiting.IsCompletedSuccessfully);
    }

    [Fact]
    public void Unconfigured_AThrottledFirstCall_LetsTheNextGo_AndLearnsNothing()
    {
        using var budget = Unconfigured();
        Assert.True(budget.TryAcquire(5_000));
        budget.Reconcile(5_000, 0); // the pipeline gives a throttled attempt's tokens back…
        budget.OnThrottled();       // …and reports the 429
        Assert.Equal(0, budget.TokensPerSecond);
        Assert.True(budget.TryAcquire(5_000));
    }

    [Fact]
    public void AdaptiveRate_DoublesWhileUsedWithoutThrottles_ThenSearchesBetweenWhatHeldAndWhatThrottled()
    {
        var rate = new AdaptiveRate(1_000, now: 0);
        Assert.True(Hold(rate, 5_000));
        Assert.Equal(2_000, rate.Rate);
        Assert.True(Hold(rate, 10_000));
        Assert.Equal(4_000, rate.Rate);

        rate.Throttled(11_000);
        Assert.Equal(Math.Sqrt(2_000 * 4_000), rate.Rate, precision: 6); // the geometric middle of what held and the bound
        rate.Throttled(12_000);
        Assert.Equal(Math.Sqrt(2_000 * 4_000), rate.Rate, precision: 6); // the same excess: ignored within the cooldown

        var now = 11_000.0;
        var steps = 0;
        while (true)
        {
            var trying = rate.Rate;
            Assert.True(Hold(rate, now += AdaptiveRate.HoldMilliseconds));
            steps++;
            if (trying * AdaptiveRate.Climb >= 4_000)
            {
                Assert.Equal(trying, rate.Rate); // held within 20 % of the bound: it stays
                break;
            }

            Assert.Equal(Math.Sqrt(trying * 4_000), rate.Rate, precision: 6); // the middle of what held and the bound
        }

        Assert.InRange(rate.Rate, 4_000 / AdaptiveRate.Climb, 4_000);
        Assert.InRange(steps, 1, 3);
    }

    [Fact]
    public void AdaptiveRate_AThrottleWithinClimbOfWhatHeld_GoesBackToWhatHeld()
    {
        var rate = new AdaptiveRate(1_000, now: 0);
        Hold(rate, 5_000);                // 2,000
        rate.Throttled(6_000);            // bound 2,000: the middle, 1,414
        Assert.True(Hold(rate, 11_000));  // 1,414 held: the middle of 1,414 and 2,000, 1,682
        rate.Throttled(12_000);           // bound 1,682, within 20 % of 1,414

        Assert.Equal(Math.Sqrt(1_000 * 2_000), rate.Rate, precision: 6);
    }

    [Fact]
    public void AdaptiveRate_AnUnusedRate_IsNotTakenAsHeld()
    {
        var rate = new AdaptiveRate(1_000, now: 0);
        rate.Used(1_000); // 20 % of 5 s at 1,000 a second
        Assert.False(rate.Tick(5_000));
        Assert.Equal(1_000, rate.Rate);
        Assert.True(Hold(rate, 10_000)); // used this time
        Assert.Equal(2_000, rate.Rate);
    }

    [Fact]
    public void AdaptiveRate_TriesAboveTheBound_OnlyAfterEnoughCalls_WithinTheThrottleShare_AndFindsARaisedLimit()
    {
        var rate = new AdaptiveRate(1_000, now: 0);
        Hold(rate, 5_000);      // 2,000
        rate.Throttled(6_000);  // bound 2,000: back to 1,000
        var now = 6_000.0;
        while (rate.Rate * AdaptiveRate.Climb < 2_000 || rate.Rate == 1_000)
        {
            Hold(rate, now += 10_000);
        }

        Hold(rate, now += 10_000); // held: it stays
        var stay = rate.Rate;
        Assert.False(Hold(rate, now += 10_000)); // time enough, calls not: a try costs a 429, at most one per ReprobeCalls calls
        Assert.Equal(stay, rate.Rate);
        for (var i = 0; i < AdaptiveRate.ReprobeCalls; i++)
        {
            rate.Used(1);
        }

        // Enough calls since the throttle, but a try now would make 2 throttles in about 30 calls: more than 5 %.
        Assert.False(rate.Tick(now += 1));
        for (var i = 0; i < 15; i++)
        {
            rate.Used(1); // 2 throttles within 5 % of the calls: now it may try
        }

        Assert.True(rate.Tick(now += 1));
        Assert.Equal(2_000 * AdaptiveRate.ReprobeStep, rate.Rate, precision: 6);

        Assert.True(Hold(rate, now += AdaptiveRate.HoldMilliseconds)); // the try held: the limit was raised, the doubling starts again
        Assert.Equal(2 * 2_000 * AdaptiveRate.ReprobeStep, rate.Rate, precision: 6);
    }

    [Fact]
    public async Task AGateDelay_ShorterThanAMillisecond_StillWaitsForTheClock()
    {
        var delay = TimeProviderTasks.Delay(_clock, TimeSpan.FromTicks(5_000), default); // 0.5 ms
        Assert.False(delay.IsCompleted); // rounded up to 1 ms, not down to 0 (a loop waiting for it would spin)
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        await delay.WaitAsync(TimeSpan.FromSeconds(5));
    }

    // The callers use the whole current rate for 10 s (one call), then the rate is judged at `now`.
    private static bool Hold(AdaptiveRate rate, double now)
    {
        rate.Used((long)Math.Ceiling(rate.Rate * 10));
        return rate.Tick(now);
    }
}
