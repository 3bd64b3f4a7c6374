using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

namespace RetryAnalyzers.Runtime.Tests;

public sealed class HeadersAndPartsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("retry-after-ms", "1500", 1_500)]
    [InlineData("x-ms-retry-after-ms", "250", 250)]
    [InlineData("Retry-After", "7", 7_000)]
    [InlineData("Retry-After", "Sun, 22 Nov 2026 12:00:30 GMT", 30_000)]
    [InlineData("Retry-After", "Sun, 22 Nov 2026 11:59:00 GMT", 0)]
    public void RetryAfter_IsReadInEveryFormat(string header, string value, double expectedMilliseconds)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)429);
        response.Headers.TryAddWithoutValidation(header, value);

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), RateLimitHeaders.GetRetryAfter(response, Now));
    }

    [Fact]
    public void RetryAfterMs_WinsOverRetryAfter_AndNoHeaderIsNull()
    {
        using var both = new HttpResponseMessage((HttpStatusCode)429);
        both.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(2));
        both.Headers.Add("retry-after-ms", "1234");
        Assert.Equal(TimeSpan.FromMilliseconds(1234), RateLimitHeaders.GetRetryAfter(both, Now));

        using var none = new HttpResponseMessage((HttpStatusCode)429);
        Assert.Null(RateLimitHeaders.GetRetryAfter(none, Now));
    }

    [Theory]
    [InlineData("6m0s", 360_000)]
    [InlineData("12ms", 12)]
    [InlineData("1h2m3.5s", 3_723_500)]
    [InlineData("0.5s", 500)]
    [InlineData("20", 20_000)]
    public void Durations_AsOpenAISendsThem_Parse(string text, double milliseconds)
    {
        Assert.True(RateLimitHeaders.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("5 minutes")]
    [InlineData("-3s")]
    [InlineData("3x")]
    public void NotDurations_DoNotParse(string text) => Assert.False(RateLimitHeaders.TryParseDuration(text, out _));

    [Fact]
    public void Snapshot_ReadsOpenAIAndAnthropicHeaders()
    {
        using var openAI = new HttpResponseMessage(HttpStatusCode.OK);
        openAI.Headers.Add("x-ratelimit-limit-tokens", "4000000");
        openAI.Headers.Add("x-ratelimit-remaining-tokens", "3999000");
        openAI.Headers.Add("x-ratelimit-reset-tokens", "15ms");
        openAI.Headers.Add("x-ratelimit-reset-requests", "6m0s");
        Assert.Equal(new RateLimitSnapshot(4_000_000, 3_999_000, TimeSpan.FromMilliseconds(15), TimeSpan.FromMinutes(6)), RateLimitHeaders.Read(openAI, Now));

        using var anthropic = new HttpResponseMessage(HttpStatusCode.OK);
        anthropic.Headers.Add("anthropic-ratelimit-tokens-remaining", "9000");
        anthropic.Headers.Add("anthropic-ratelimit-input-tokens-remaining", "4000");
        anthropic.Headers.Add("anthropic-ratelimit-tokens-reset", "2026-11-22T12:00:05Z");
        var snapshot = RateLimitHeaders.Read(anthropic, Now);
        Assert.Equal(4_000, snapshot.RemainingTokens);
        Assert.Equal(TimeSpan.FromSeconds(5), snapshot.TokensReset);
    }

    [Fact]
    public void RetryBudget_AllowsItsStartingCredits_ThenATenthOfCalls()
    {
        var budget = new RetryBudget(retryRatio: 0.1, maxCredits: 2);
        Assert.True(budget.TryRetry());
        Assert.True(budget.TryRetry());
        Assert.False(budget.TryRetry());

        for (var i = 0; i < 100; i++)
        {
            budget.RecordCall();
        }

        // 100 calls deposit 10 credits, but the balance is capped at 2.
        Assert.True(budget.TryRetry());
        Assert.True(budget.TryRetry());
        Assert.False(budget.TryRetry());
        Assert.Equal(4, budget.Retries);
        Assert.Equal(2, budget.Denied);
    }

    [Theory]
    [InlineData(0.0, 10.0, "retryRatio")]
    [InlineData(1.5, 10.0, "retryRatio")]
    [InlineData(0.1, 0.5, "maxCredits")]
    public void RetryBudget_InvalidArguments_AreNamed(double ratio, double credits, string name)
        => Assert.Equal(name, Assert.Throws<ArgumentOutOfRangeException>(() => new RetryBudget(ratio, credits)).ParamName);

    [Theory]
    [InlineData("ResearchAgent", "OPENAI_API_KEY_RESEARCH_AGENT")]
    [InlineData("research-agent", "OPENAI_API_KEY_RESEARCH_AGENT")]
    [InlineData("writer agent 2", "OPENAI_API_KEY_WRITER_AGENT_2")]
    [InlineData("SQLAgent", "OPENAI_API_KEY_SQL_AGENT")]
    [InlineData("Agent7Writer", "OPENAI_API_KEY_AGENT7_WRITER")]
    public void AgentKeys_NamingRule(string agent, string variable) => Assert.Equal(variable, AgentKeys.VariableName("OPENAI_API_KEY", agent));

    [Fact]
    public void AgentKeys_PreferTheAgentsOwnKey_AndFallBackToTheSharedOneOnlyWithABudget()
    {
        var variables = new Dictionary<string, string>
        {
            ["OPENAI_API_KEY_RESEARCH_AGENT"] = "sk-research-0001",
            ["OPENAI_API_KEY"] = "sk-shared-0002",
        };
        using var budget = new TokenBudget(TokenBudgetOptions.PerMinute(600_000));

        var own = AgentKeys.Resolve("ResearchAgent", "OPENAI_API_KEY", name => variables.GetValueOrDefault(name));
        Assert.Equal("sk-research-0001", own.Reveal());
        Assert.False(own.IsShared);
        Assert.DoesNotContain("sk-", own.ToString(), StringComparison.Ordinal);

        var shared = AgentKeys.Resolve("WriterAgent", "OPENAI_API_KEY", name => variables.GetValueOrDefault(name), budget);
        Assert.True(shared.IsShared);
        Assert.Equal("OPENAI_API_KEY", shared.Source);

        var refused = Assert.Throws<InvalidOperationException>(() => AgentKeys.Resolve("WriterAgent", "OPENAI_API_KEY", name => variables.GetValueOrDefault(name)));
        Assert.Contains("OPENAI_API_KEY_WRITER_AGENT", refused.Message);
        Assert.Contains("TokenBudget", refused.Message);
        Assert.DoesNotContain("sk-", refused.ToString(), StringComparison.Ordinal); // never a key in an exception
    }

    [Fact]
    public async Task BoundedFanOut_KeepsOrder_AndNeverExceedsTheConcurrency()
    {
        var inFlight = 0;
        var peak = 0;
        var results = await BoundedFanOut.SelectAsync(
            Enumerable.Range(0, 40),
            async (item, token) =>
            {
                var now = Interlocked.Increment(ref inFlight);
                RetryAnalyzers.Testing.RateLimitedProvider.InterlockedMax(ref peak, now);
                await Task.Delay(5, token);
                Interlocked.Decrement(ref inFlight);
                return item * 2;
            },
            maxConcurrency: 3);

        Assert.Equal(Enumerable.Range(0, 40).Select(i => i * 2), results);
        Assert.InRange(peak, 2, 3);
    }

    [Fact]
    public async Task BoundedFanOut_SurfacesTheFailure_AndStopsStartingItems()
    {
        var started = 0;
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => BoundedFanOut.ForEachAsync(
            Enumerable.Range(0, 100),
            async (item, token) =>
            {
                Interlocked.Increment(ref started);
                if (item == 3)
                {
                    throw new InvalidOperationException("item 3 failed");
                }

                await Task.Delay(20, token);
            },
            maxConcurrency: 2));

        Assert.Equal("item 3 failed", error.Message);
        Assert.InRange(started, 4, 10);
    }

    [Fact]
    public async Task BoundedFanOut_HonoursTheCallersCancellation()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => BoundedFanOut.ForEachAsync(
            Enumerable.Range(0, 1_000),
            (item, token) => Task.Delay(10, token),
            maxConcurrency: 2,
            cancel.Token));
    }

    [Fact]
    public async Task BoundedFanOut_RejectsAConcurrencyBelowOne()
        => Assert.Equal("maxConcurrency", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BoundedFanOut.SelectAsync(new[] { 1 }, (i, _) => Task.FromResult(i), 0))).ParamName);

    [Fact]
    public void Metrics_AreVisibleToAMeterListener_AndGiveTheRetryRatio()
    {
        var seen = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RetryMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "agent" && (string?)tag.Value == "MetricsProbe")
                {
                    seen.AddOrUpdate(instrument.Name, value, (_, total) => total + value);
                }
            }
        });
        listener.Start();

        var metrics = new RetryMetrics("MetricsProbe");
        for (var i = 0; i < 10; i++)
        {
            metrics.RecordCall();
        }

        metrics.RecordRetry(1);
        metrics.RecordRetry(2);
        metrics.RecordRateLimited();

        Assert.Equal(10, seen["retryanalyzers.calls"]);
        Assert.Equal(2, seen["retryanalyzers.retries"]);
        Assert.Equal(1, seen["retryanalyzers.rate_limited"]);
        Assert.Equal(0.2, metrics.RetryRatio, precision: 6);
        Assert.True(metrics.IsCascading);
    }
}
