using System;
using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Linq;
using System.Net;
using System.Net.Http;
using Microsoft.Extensions.Time.Testing;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>A budget whose limit is a guess learns the key's real limit from the headers; the shared budget says when it guesses.</summary>
public sealed class LearnLimitTests
{
    private static HttpResponseMessage WithLimit(string tokensPerMinute)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.TryAddWithoutValidation("x-ratelimit-limit-tokens", tokensPerMinute);
        return response;
    }

    private static TokenBudget Budget(bool learn, FakeTimeProvider? time = null)
    {
        var options = TokenBudgetOptions.PerMinute(30_000);
        options.LearnLimitFromHeaders = learn;
        options.TimeProvider = time ?? new FakeTimeProvider();
        return new TokenBudget(options);
    }

    [Fact]
    public void AGuessedLimit_IsRaisedToTheProvidersLimit_AndTheBurstKeepsItsLength()
    {
        using var budget = Budget(learn: true);
        var guessedRate = budget.TokensPerSecond;
        var guessedBurst = budget.Burst;
        using var response = WithLimit("600000");

        budget.ApplyRateLimitHeaders(response);

        Assert.Equal(10_000, budget.TokensPerSecond);
        Assert.Equal((long)Math.Ceiling(guessedBurst * (10_000 / guessedRate)), budget.Burst);
    }

    [Fact]
    public void AConfiguredLimit_IsNeverRaisedByHeaders()
    {
        using var budget = Budget(learn: false);
        var configured = budget.TokensPerSecond;
        using var response = WithLimit("600000");

        budget.ApplyRateLimitHeaders(response);

        Assert.Equal(configured, budget.TokensPerSecond);
    }

    [Fact]
    public void ALearningBudget_StillLowersToASmallerLimit()
    {
        using var budget = Budget(learn: true);
        using var response = WithLimit("6000");

        budget.ApplyRateLimitHeaders(response);

        Assert.Equal(100, budget.TokensPerSecond);
    }

    [Fact]
    public void AnAbsurdLimit_LeavesTheBudgetWorking()
    {
        var time = new FakeTimeProvider();
        using var budget = Budget(learn: true, time);
        using var response = WithLimit(long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture));

        budget.ApplyRateLimitHeaders(response);
        time.Advance(TimeSpan.FromSeconds(1));

        using var lease = budget.AttemptAcquire(1_000_000);
        Assert.True(lease.IsAcquired);
        budget.Reconcile(1_000_000, 10);
        Assert.InRange(budget.AvailableTokens, 1, long.MaxValue);
        Assert.False(double.IsNaN(budget.TokensPerSecond) || double.IsInfinity(budget.TokensPerSecond));
    }

    [Fact]
    public void TheSharedBudget_WithoutALimit_Guesses_Learns_AndSaysSoOnce()
    {
        using var listener = new Listener();

        var guessed = SharedProviderBudget.DefaultOptions(null);
        var configured = SharedProviderBudget.DefaultOptions("600000");

        Assert.True(guessed.LearnLimitFromHeaders);
        Assert.False(configured.LearnLimitFromHeaders);
        var warning = Assert.Single(listener.Events);
        Assert.Equal(EventLevel.Warning, warning.Level);
        Assert.Equal(SharedProviderBudget.DefaultTokensPerMinute, warning.Payload![0]);
        Assert.Equal(SharedProviderBudget.TokensPerMinuteVariable, warning.Payload[1]);
        var error = Assert.Throws<InvalidOperationException>(() => SharedProviderBudget.DefaultOptions("lots"));
        Assert.Contains(SharedProviderBudget.TokensPerMinuteVariable, error.Message);
    }

    private sealed class Listener : EventListener
    {
        public ConcurrentQueue<EventWrittenEventArgs> Events { get; } = new();

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "RetryAnalyzers-Runtime")
            {
                EnableEvents(eventSource, EventLevel.Verbose);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventSource.Name == "RetryAnalyzers-Runtime")
            {
                Events.Enqueue(eventData);
            }
        }
    }
}
