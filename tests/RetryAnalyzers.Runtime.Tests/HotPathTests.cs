using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Polly.Timeout;
using RetryAnalyzers.Testing;
using Xunit;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>
/// What the success path's shortcuts must keep: a budgeted call that goes direct draws its tokens once and a throttled
/// first attempt gives them back; an attempt's reused cancellation source gives every attempt its whole timeout and
/// never carries a timeout into the next call; the one-pass header reader learns as the lookup did.
/// </summary>
public sealed class HotPathTests
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(20);

    [Fact]
    public async Task ABudgetedDirectCall_Throttled_GivesItsTokensBack_AndTheRetryDrawsThemAgain()
    {
        // 429 (Retry-After: 0), then 200 without a usage body: the call's cost is the estimate, drawn once in the end.
        using var server = new LoopbackServer(HttpStatusCode.TooManyRequests, HttpStatusCode.OK);
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 0.001, Burst = 10_000 });
        using var client = new HttpClient(new ProviderResilienceHandler(new ProviderResilienceOptions { Budget = budget, BaseDelay = Short }, _ => 1_000) { InnerHandler = new HttpClientHandler() });

        using var response = await client.GetAsync(server.Url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, server.Requests);
        var statistics = budget.GetStatistics()!;
        Assert.Equal(2, statistics.TotalSuccessfulLeases); // the direct first attempt and the retry each drew
        Assert.InRange(statistics.CurrentAvailablePermits, 8_999, 9_001); // one estimate spent: the throttled one came back
    }

    [Fact]
    public async Task ABudgetedCall_TheBudgetCannotServeAtOnce_WaitsForIt_InsteadOfGoingDirect()
    {
        using var server = new LoopbackServer(HttpStatusCode.OK);
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 10_000, Burst = 1_000 });
        Assert.True(budget.TryAcquire(1_000)); // empty: the next 1,000 tokens are 100 ms away
        using var client = new HttpClient(new ProviderResilienceHandler(new ProviderResilienceOptions { Budget = budget }, _ => 1_000) { InnerHandler = new HttpClientHandler() });

        using var response = await client.GetAsync(server.Url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1_000, budget.TokensWaitedFor);
    }

    [Fact]
    public async Task CallsEndingOnOneThread_ReuseTheAttemptsSource_AndEachAttemptHasItsWholeTimeout()
    {
        // Each call completes synchronously on this thread, so the next one gets the same source back (the same token).
        // 5 × 60 ms under a 150 ms timeout: a timer that was not reset would cancel the third call.
        var pipeline = ProviderPipeline.Create<bool>(new ProviderResilienceOptions { AttemptTimeout = TimeSpan.FromMilliseconds(150), CircuitBreaker = null });
        var tokens = new List<CancellationToken>();

        for (var i = 0; i < 5; i++)
        {
            var cancelled = await pipeline.ExecuteAsync(
                token =>
                {
                    Thread.Sleep(60);
                    tokens.Add(token);
                    return new ValueTask<bool>(token.IsCancellationRequested);
                },
                0);
            Assert.False(cancelled);
        }

        Assert.True(tokens[0].CanBeCanceled);
        Assert.All(tokens, token => Assert.Equal(tokens[0], token));
        Assert.All(tokens, token => Assert.False(token.IsCancellationRequested));
    }

    [Fact]
    public async Task ATimedOutAttempt_IsNotReused_AndTheNextCallsAttemptIsNotCancelled()
    {
        var pipeline = ProviderPipeline.Create<bool>(new ProviderResilienceOptions { AttemptTimeout = TimeSpan.FromMilliseconds(50), MaxRetryAttempts = 0, CircuitBreaker = null });
        CancellationToken timedOut = default;

        await Assert.ThrowsAsync<TimeoutRejectedException>(() => pipeline.ExecuteAsync(
            async token =>
            {
                timedOut = token;
                await Task.Delay(TimeSpan.FromSeconds(20), token);
                return false;
            },
            0).AsTask());

        var next = default(CancellationToken);
        var cancelled = await pipeline.ExecuteAsync(
            token =>
            {
                next = token;
                return new ValueTask<bool>(token.IsCancellationRequested);
            },
            0);

        Assert.True(timedOut.IsCancellationRequested);
        Assert.False(cancelled);
        Assert.NotEqual(timedOut, next);
    }

    [Fact]
    public async Task TheCallersCancellation_ReachesAnAttemptOnAReusedSource()
    {
        var pipeline = ProviderPipeline.Create<bool>(new ProviderResilienceOptions { AttemptTimeout = TimeSpan.FromSeconds(30), CircuitBreaker = null });
        Assert.False(await pipeline.ExecuteAsync(token => new ValueTask<bool>(token.IsCancellationRequested), 0)); // leaves a source to reuse
        using var cancel = new CancellationTokenSource();

        var call = pipeline.ExecuteAsync(
            async token =>
            {
                cancel.Cancel();
                await Task.Delay(TimeSpan.FromSeconds(20), token);
                return false;
            },
            0,
            cancel.Token).AsTask();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.IsNotType<TimeoutRejectedException>(error);
    }

    [Fact]
    public void TheOnePassHeaderReader_TakesTheSmallestRemaining_OfAnyCase_AndTheLimit()
    {
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 0.001, Burst = 100_000 });
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.TryAddWithoutValidation("Date", "Fri, 04 Dec 2026 08:00:00 GMT");
        response.Headers.TryAddWithoutValidation("X-RateLimit-Remaining-Tokens", "5000");
        response.Headers.TryAddWithoutValidation("anthropic-ratelimit-input-tokens-remaining", " 3000 ");
        response.Headers.TryAddWithoutValidation("x-ratelimit-remaining-requests", "1");

        budget.ApplyRateLimitHeaders(response);

        Assert.InRange(budget.GetStatistics()!.CurrentAvailablePermits, 2_999, 3_001);
    }
}
