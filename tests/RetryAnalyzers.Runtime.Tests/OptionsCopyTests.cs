using System;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.CircuitBreaker;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>
/// Options are copied when a pipeline, handler, budget or backoff is built: changing the caller's options object
/// afterwards changes nothing, and the runtime never writes to a caller's options.
/// </summary>
public sealed class OptionsCopyTests
{
    private static ValueTask<string> Fail(ref int calls)
    {
        calls++;
        throw new HttpRequestException("503 from the provider", null, HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task ProviderPipeline_KeepsItsOptions_WhenTheCallerChangesThemAfterCreate()
    {
        var metrics = new RetryMetrics("copy-pipeline");
        var options = new ProviderResilienceOptions
        {
            MaxRetryAttempts = 2,
            BaseDelay = TimeSpan.FromMilliseconds(1),
            RetryBudget = new RetryBudget(1, 100),
            Metrics = metrics,
            CircuitBreaker = null,
        };
        var pipeline = ProviderPipeline.Create<string>(options);

        options.MaxRetryAttempts = 0;
        options.Metrics = new RetryMetrics("someone-else");
        options.RetryBudget = new RetryBudget(0.1, 1);
        options.CircuitBreaker = new ProviderCircuitBreaker();
        options.BaseDelay = TimeSpan.FromDays(1);
        options.MaxDelay = TimeSpan.FromDays(1);

        var calls = 0;
        await Assert.ThrowsAsync<HttpRequestException>(() => pipeline.ExecuteAsync(_ => Fail(ref calls), 0).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(3, calls); // two retries, a few milliseconds apart, and no breaker
        Assert.Equal(1, metrics.Calls);
        Assert.Equal(2, metrics.Retries);
        Assert.Equal(0, options.Metrics.Calls);
    }

    [Fact]
    public async Task ProviderPipeline_KeepsItsBreaker_WhenTheCallerChangesTheBreakerObject()
    {
        var breaker = new ProviderCircuitBreaker();
        // No waiting for recovery: a call that meets the open breaker fails at once.
        var pipeline = ProviderPipeline.Create<string>(new ProviderResilienceOptions { MaxRetryAttempts = 0, CircuitBreaker = breaker, TimeProvider = new FakeTimeProvider(), MaxWaitForRecovery = TimeSpan.Zero });
        breaker.MinimumThroughput = 1_000;
        breaker.FailureRatio = 1;

        var calls = 0;
        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => pipeline.ExecuteAsync(_ => Fail(ref calls), 0).AsTask());
        }

        await Assert.ThrowsAsync<BrokenCircuitException>(() => pipeline.ExecuteAsync(_ => Fail(ref calls), 0).AsTask());
        Assert.Equal(3, calls); // opened after 3 calls, as configured when the pipeline was built
    }

    [Fact]
    public async Task ProviderResilienceHandler_KeepsItsBudget_WhenTheCallerChangesTheOptionsAfterConstruction()
    {
        using var server = new LoopbackServer(HttpStatusCode.OK);
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 0.001, Burst = 10_000 });
        var options = new ProviderResilienceOptions { Budget = budget };
        using var client = new HttpClient(new ProviderResilienceHandler(options, _ => 1_000) { InnerHandler = new HttpClientHandler() });

        options.Budget = null;
        options.TimeProvider = null!; // would throw at once if the handler still read it
        using var response = await client.GetAsync(server.Url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.InRange(budget.AvailableTokens, 9_000, 9_001);
    }

    [Fact]
    public async Task TokenBudget_KeepsItsRateBurstAndQueueLimit_WhenTheCallerChangesTheOptions()
    {
        var clock = new FakeTimeProvider();
        var options = new TokenBudgetOptions { TokensPerSecond = 100, Burst = 1_000, InitialTokens = 0, QueueLimit = 5, TimeProvider = clock };
        using var budget = new TokenBudget(options);

        options.TokensPerSecond = 1;
        options.Burst = 1;
        options.QueueLimit = 0;
        options.TimeProvider = TimeProvider.System;

        Assert.Equal(100, budget.TokensPerSecond);
        Assert.Equal(1_000, budget.Burst);
        var wait = budget.AcquireTokensAsync(500).AsTask(); // QueueLimit 0 would throw
        clock.Advance(TimeSpan.FromSeconds(5)); // the fake clock still drives it: 500 tokens at 100 per second
        await wait.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void RetryBackoff_KeepsItsDelays_WhenTheCallerChangesTheOptions()
    {
        var options = new JitteredBackoffOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(30), Randomizer = () => 0.5 };
        var twin = new RetryBackoff(new JitteredBackoffOptions { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(30), Randomizer = () => 0.5 });
        var backoff = new RetryBackoff(options);

        options.BaseDelay = TimeSpan.FromMilliseconds(1);
        options.MaxDelay = TimeSpan.FromMilliseconds(1);
        options.Randomizer = () => 0;

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(twin.NextDelay(), backoff.NextDelay());
        }
    }

    [Fact]
    public async Task AddJitteredRetry_KeepsTheOptionsAsAdded_WhenTheCallerChangesThemBeforeBuild()
    {
        var options = new JitteredRetryStrategyOptions
        {
            MaxRetryAttempts = 2,
            Delay = TimeSpan.FromMilliseconds(1),
            ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>(),
        };
        var builder = new ResiliencePipelineBuilder().AddJitteredRetry(options);

        options.MaxRetryAttempts = 0;
        options.UseJitter = false; // would have been refused when added
        var pipeline = builder.Build();

        var calls = 0;
        await Assert.ThrowsAsync<HttpRequestException>(() => pipeline.ExecuteAsync(_ => Fail(ref calls)).AsTask());
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task SharedProviderBudget_DoesNotWriteTheCallersOptions_AndItsClientDrawsFromTheSharedBudget()
    {
        using var server = new LoopbackServer(HttpStatusCode.OK);
        var metrics = new RetryMetrics("shared-copy");
        var resilience = new ProviderResilienceOptions { MaxRetryAttempts = 5, Metrics = metrics };

        var shared = SharedProviderBudget.Create(new TokenBudgetOptions { TokensPerSecond = 0.001, Burst = 50_000 }, resilience);
        using (shared.Budget)
        using (shared.Client)
        {
            Assert.Null(resilience.Budget); // the caller's object is as it was
            Assert.Equal(5, resilience.MaxRetryAttempts);
            Assert.Same(metrics, resilience.Metrics);

            using var response = await shared.Client.GetAsync(server.Url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(shared.Budget.AvailableTokens < 50_000, "the shared client's calls draw from the shared budget");
            Assert.Equal(1, metrics.Calls); // the other settings were kept
            Assert.Null(resilience.Budget);
        }
    }

    [Fact]
    public void SharedProviderBudget_RejectsInvalidResilienceOptions_WithoutChangingThem()
    {
        var resilience = new ProviderResilienceOptions { MaxRetryAttempts = -1 };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => SharedProviderBudget.Create(new TokenBudgetOptions { TokensPerSecond = 10 }, resilience));

        Assert.Equal("ProviderResilienceOptions.MaxRetryAttempts", error.ParamName);
        Assert.Null(resilience.Budget);
    }
}

/// <summary>The default retry budget refills on the options' clock, and every pipeline of one options object shares it.</summary>
public sealed class DefaultRetryBudgetTests
{
    [Fact]
    public void TheDefaultRetryBudget_RefillsOnTheOptionsClock()
    {
        var time = new FakeTimeProvider();
        var options = new ProviderResilienceOptions { TimeProvider = time };
        var budget = options.RetryBudget;
        var spent = 0;
        while (budget.TryRetry())
        {
            spent++;
        }

        Assert.Equal((int)RetryBudget.DefaultMaxCredits, spent);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(budget.TryRetry()); // one credit a second, on the fake clock (no real second has passed)
        Assert.False(budget.TryRetry());
    }

    [Fact]
    public void TheDefaultRetryBudget_IsSharedByThePipelinesOfOneOptionsObject_AndFollowsAChangedClock()
    {
        var options = new ProviderResilienceOptions();
        var first = options.RetryBudget;
        _ = ProviderPipeline.Create<string>(options);
        Assert.Same(first, options.RetryBudget);
        Assert.Same(TimeProvider.System, first.Clock);

        var time = new FakeTimeProvider();
        options.TimeProvider = time;
        Assert.Same(time, options.RetryBudget.Clock);

        var mine = new RetryBudget(0.5, 5);
        options.RetryBudget = mine;
        options.TimeProvider = TimeProvider.System;
        Assert.Same(mine, options.RetryBudget); // one you set is never replaced
    }
}
