using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Polly.Timeout;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>
/// Issue 12's reproductions, each a regression test: throttles are not failures, an open breaker makes calls wait for
/// its probe, the retry budget serves a fan-out, attempts time out and are retried, breakers are per host.
/// </summary>
public sealed class OutageBehaviourTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(1);

    private static HttpClient Client(ProviderResilienceOptions options)
        => new(new ProviderResilienceHandler(options) { InnerHandler = new HttpClientHandler() });

    [Fact]
    public async Task ThreeFailuresOfOneCall_OpenTheBreaker_ButTheCallWaitsForTheProbe_AndGetsTheAnswer()
    {
        // Before: 503, 503, 503 opened the breaker and the caller got BrokenCircuitException; the server saw 3 requests.
        using var server = new LoopbackServer(HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK);
        var metrics = new RetryMetrics();
        var options = new ProviderResilienceOptions
        {
            BaseDelay = Short,
            MaxDelay = TimeSpan.FromMilliseconds(10),
            Metrics = metrics,
            CircuitBreaker = new ProviderCircuitBreaker { BreakDuration = TimeSpan.FromMilliseconds(500) },
        };
        using var client = Client(options);

        using var response = await client.GetAsync(server.Url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, server.Requests);
        Assert.Equal(1, metrics.BreakerOpened);
        Assert.Equal(1, metrics.Probes); // the fourth request went alone, as the probe
    }

    [Fact]
    public async Task AWaveOfThrottles_IsNotAFailure_EveryCallCompletes_AndAHealthyCallLaterIsNotRefused()
    {
        // Before: three concurrent 429s with Retry-After: 1 opened the shared breaker for 5 s; the wave and a call 1.5 s later failed.
        using var server = new LoopbackServer((context, index) =>
        {
            if (index < 3)
            {
                context.Response.StatusCode = 429;
                context.Response.AddHeader("retry-after-ms", "300");
            }

            return Task.CompletedTask;
        });
        var metrics = new RetryMetrics();
        using var client = Client(new ProviderResilienceOptions { Metrics = metrics });

        var wave = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => client.GetAsync(server.Url)));
        await Task.Delay(TimeSpan.FromMilliseconds(450));
        using var later = await client.GetAsync(server.Url);

        Assert.All(wave, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        Assert.Equal(0, metrics.BreakerOpened);
        Assert.Equal(3, metrics.RateLimited);
        Assert.Equal(7, server.Requests); // 3 throttled, then one probe at a time: the probe and the other two, and the later call
        foreach (var response in wave)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task WhileThrottled_CallsWait_AndOnlyTheProbeIsSent()
    {
        var (sentDuringOutage, calls) = await CallsThroughAnOutage(12, HttpStatusCode.TooManyRequests, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));

        Assert.InRange(sentDuringOutage, 13, 12 + 5); // probes at about 1, 3, 7, 15 s: never the whole wave again
        Assert.All(calls, call => Assert.Equal("ok", call.Result));
    }

    [Fact]
    public async Task WhileFailing_CallsWaitForTheBreakersProbe_AndNoneRunsOutOfRetries()
    {
        // Before: the breaker failed them at once.
        var (sentDuringOutage, calls) = await CallsThroughAnOutage(12, HttpStatusCode.ServiceUnavailable, retryAfter: null, TimeSpan.FromMinutes(3));

        Assert.InRange(sentDuringOutage, 13, 12 + 7); // probes at about 5, 15, 35, 75, 135 s
        Assert.All(calls, call => Assert.Equal("ok", call.Result));
    }

    [Fact]
    public async Task ALoneCallThroughAFailingOutage_CarriesEveryProbe_AndStillWaitsForRecovery()
    {
        // Its three failures open the breaker; then it is every probe. Charged to it, the probes ended its retries with a 503.
        var (sentDuringOutage, calls) = await CallsThroughAnOutage(1, HttpStatusCode.ServiceUnavailable, retryAfter: null, TimeSpan.FromMinutes(3));

        Assert.InRange(sentDuringOutage, 4, 3 + 7);
        Assert.Equal("ok", await Assert.Single(calls));
    }

    // `count` calls in flight when the provider starts answering `status` (with `retryAfter`, if any) for `outage` of a
    // fake clock; then it recovers. Returns the attempts sent during the outage and the calls (completed by then).
    private static async Task<(int SentDuringOutage, Task<string>[] Calls)> CallsThroughAnOutage(int count, HttpStatusCode status, TimeSpan? retryAfter, TimeSpan outage)
    {
        var clock = new FakeTimeProvider();
        var sent = 0;
        var failing = true;
        var pipeline = ProviderPipeline.Create<string>(new ProviderResilienceOptions { TimeProvider = clock, Randomizer = () => 0 }, retryAfter: _ => retryAfter);
        var firstWave = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        async ValueTask<string> Call(CancellationToken _)
        {
            if (Interlocked.Increment(ref sent) <= count)
            {
                await firstWave.Task; // all are in flight when the outage starts
            }

            return Volatile.Read(ref failing) ? throw new HttpRequestException(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), null, status) : "ok";
        }

        var calls = Enumerable.Range(0, count).Select(_ => pipeline.ExecuteAsync(Call, 0).AsTask()).ToArray();
        Assert.Equal(count, sent);
        firstWave.SetResult();
        await Task.Delay(50);
        for (var elapsed = TimeSpan.Zero; elapsed < outage; elapsed += TimeSpan.FromSeconds(1))
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5); // let the woken calls run
        }

        var sentDuringOutage = Volatile.Read(ref sent);
        Assert.DoesNotContain(calls, call => call.IsCompleted); // nobody gave up, nobody got through
        Volatile.Write(ref failing, false);
        for (var second = 0; second < 120 && !calls.All(call => call.IsCompleted); second++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }

        return (sentDuringOutage, calls);
    }

    [Fact]
    public async Task CancellationWhileWaitingAtAHeldGate_EndsTheWait_AndSendsNothing()
    {
        var clock = new FakeTimeProvider();
        var sent = 0;
        var pipeline = ProviderPipeline.Create<string>(new ProviderResilienceOptions { TimeProvider = clock, MaxRetryAttempts = 0 }, retryAfter: _ => TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<HttpRequestException>(() => pipeline.ExecuteAsync(
            _ => throw new HttpRequestException("429", null, (HttpStatusCode)429),
            0).AsTask()); // throttled: the gate holds for 30 s
        using var cancel = new CancellationTokenSource();

        var waiting = pipeline.ExecuteAsync(_ => new ValueTask<string>((++sent).ToString(System.Globalization.CultureInfo.InvariantCulture)), 0, cancel.Token).AsTask();
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(waiting.IsCompleted);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, sent);
    }

    [Fact]
    public async Task AHungAttempt_IsCutAtTheAttemptTimeout_AndRetried()
    {
        using var server = new LoopbackServer(async (context, index) =>
        {
            if (index == 0)
            {
                await Task.Delay(TimeSpan.FromSeconds(20));
            }
        });
        using var client = Client(new ProviderResilienceOptions { AttemptTimeout = TimeSpan.FromMilliseconds(300), BaseDelay = Short });

        using var response = await client.GetAsync(server.Url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task TheCallersCancellation_IsNeverRetried_NorTurnedIntoATimeout()
    {
        using var server = new LoopbackServer(async (_, _) => await Task.Delay(TimeSpan.FromSeconds(20)));
        using var client = Client(new ProviderResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(10), BaseDelay = Short });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetAsync(server.Url, cancel.Token));

        Assert.IsNotType<TimeoutRejectedException>(error.InnerException);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task AnAttemptTimeoutOfADelegateCall_IsRetried_AsATimeoutRejectedException()
    {
        var attempts = 0;
        var pipeline = ProviderPipeline.Create<string>(new ProviderResilienceOptions { AttemptTimeout = TimeSpan.FromMilliseconds(100), MaxRetryAttempts = 1, BaseDelay = Short, CircuitBreaker = null });

        var error = await Assert.ThrowsAsync<TimeoutRejectedException>(() => pipeline.ExecuteAsync(
            async token =>
            {
                Interlocked.Increment(ref attempts);
                await Task.Delay(TimeSpan.FromSeconds(20), token);
                return "never";
            },
            0).AsTask());

        Assert.Equal(2, attempts);
        Assert.Contains("ProviderResilienceOptions.AttemptTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANegativeRetryAfterFromADelegate_IsNoRetryAfter_AndTheJitteredBackoffIsUsed()
    {
        // Before: Polly's 2 s constant fallback (no jitter) was used for a negative delay.
        var clock = new FakeTimeProvider();
        var attempts = 0;
        var pipeline = ProviderPipeline.Create<string>(
            new ProviderResilienceOptions { TimeProvider = clock, BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50), CircuitBreaker = null },
            retryAfter: _ => TimeSpan.FromSeconds(-5));

        var call = pipeline.ExecuteAsync(
            _ => ++attempts == 1 ? throw new HttpRequestException("503", null, HttpStatusCode.ServiceUnavailable) : new ValueTask<string>("ok"),
            0).AsTask();
        for (var i = 0; i < 10 && !call.IsCompleted; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(5);
        }

        Assert.True(call.IsCompleted, "the retry waited longer than the jittered backoff's 50 ms cap");
        Assert.Equal("ok", await call);
    }

    [Fact]
    public async Task ARefusedHost_OpensItsOwnBreaker_NotTheBreakerOfAnotherHost()
    {
        using var healthy = new LoopbackServer(HttpStatusCode.OK);
        var refused = "http://127.0.0.1:" + LoopbackServer.FreePort() + "/"; // nothing listens there
        var metrics = new RetryMetrics();
        using var client = Client(new ProviderResilienceOptions { BaseDelay = Short, MaxDelay = TimeSpan.FromMilliseconds(5), MaxWaitForRecovery = TimeSpan.Zero, Metrics = metrics });

        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => client.GetAsync(refused));
        }

        Assert.Equal(1, metrics.BreakerOpened);
        using var response = await client.GetAsync(healthy.Url); // another authority: its breaker is closed
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var refusedAgain = await Assert.ThrowsAsync<Polly.CircuitBreaker.BrokenCircuitException>(() => client.GetAsync(refused));
        Assert.DoesNotContain(healthy.Url, refusedAgain.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TheRetryBudget_CountsInWholeThousandths_SoTenCallsAtATenthMakeOneRetry()
    {
        var budget = new RetryBudget(0.1, maxCredits: 1);
        Assert.True(budget.TryRetry());
        Assert.False(budget.TryRetry());

        for (var i = 0; i < 10; i++)
        {
            budget.RecordCall();
        }

        Assert.True(budget.TryRetry()); // 10 × 0.1 is exactly one credit (with doubles it was 0.9999999999999999)
    }

    [Fact]
    public void TheRetryBudget_RefillsOverTime_UpToItsCap()
    {
        var clock = new FakeTimeProvider();
        var budget = new RetryBudget(0.1, maxCredits: 3, minRetriesPerSecond: 2, clock);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(budget.TryRetry());
        }

        Assert.False(budget.TryRetry());
        clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.True(budget.TryRetry()); // 2 a second: one after half a second
        Assert.False(budget.TryRetry());

        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(3, Enumerable.Range(0, 5).Count(_ => budget.TryRetry())); // capped at 3, not 1200
        Assert.Equal(4, budget.Denied);
    }

    [Fact]
    public void TheDefaultRetryBudget_LetsATwelveAgentWaveRetry()
    {
        var budget = new RetryBudget();
        Assert.Equal(12, Enumerable.Range(0, 12).Count(_ => budget.TryRetry())); // before: 10 of 12
    }

    [Fact]
    public async Task TheRetryBudget_GrowsWithTheCallsInFlight_SoAFanOutWiderThanItsCapRetriesItsFirstWave()
    {
        var budget = new RetryBudget(0.1, maxCredits: 2);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failedOnce = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        var pipeline = ProviderPipeline.Create<string>(new ProviderResilienceOptions { RetryBudget = budget, CircuitBreaker = null, BaseDelay = Short });

        var calls = Enumerable.Range(0, 8).Select(agent => pipeline.ExecuteAsync(
            async _ =>
            {
                await release.Task;
                return failedOnce.TryAdd(agent, true) ? throw new HttpRequestException("503", null, HttpStatusCode.ServiceUnavailable) : "ok";
            },
            0).AsTask()).ToArray();
        release.SetResult();

        Assert.All(await Task.WhenAll(calls), answer => Assert.Equal("ok", answer)); // 8 in flight: 8 credits, not 2
        Assert.Equal(0, budget.Denied);
    }
}
