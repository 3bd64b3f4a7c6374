using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>Retry-After done right: never early, Azure's sentinels, x-should-retry, and the reset headers of a 429 without one.</summary>
public sealed class RetryAfterTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("retry-after-ms", "-1")]
    [InlineData("retry-after-ms", "0")]
    [InlineData("x-ms-retry-after-ms", "-1")]
    [InlineData("x-ms-retry-after-ms", "0")]
    public void AzuresSentinels_NameNoWait_AndTheNextHeaderIsRead(string header, string sentinel)
    {
        using var alone = new HttpResponseMessage((HttpStatusCode)429);
        alone.Headers.TryAddWithoutValidation(header, sentinel);
        Assert.Null(RateLimitHeaders.GetRetryAfter(alone, Now));

        using var withRetryAfter = new HttpResponseMessage((HttpStatusCode)429);
        withRetryAfter.Headers.TryAddWithoutValidation(header, sentinel);
        withRetryAfter.Headers.TryAddWithoutValidation("Retry-After", "2");
        Assert.Equal(TimeSpan.FromSeconds(2), RateLimitHeaders.GetRetryAfter(withRetryAfter, Now));
    }

    [Theory]
    [InlineData("retry-after-ms", "150.2", 151)]
    [InlineData("x-ms-retry-after-ms", "0.1", 1)]
    [InlineData("Retry-After", "1.0004", 1_001)]
    [InlineData("retry-after-ms", "40", 40)]
    public void Waits_AreRoundedUpToAWholeMillisecond(string header, string value, int expectedMilliseconds)
    {
        using var response = new HttpResponseMessage((HttpStatusCode)429);
        response.Headers.TryAddWithoutValidation(header, value);

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), RateLimitHeaders.GetRetryAfter(response, Now));
    }

    [Fact]
    public void AnHttpDate_IsRoundedUp_FromANowBetweenMilliseconds()
    {
        using var response = new HttpResponseMessage((HttpStatusCode)429);
        response.Headers.TryAddWithoutValidation("Retry-After", "Sun, 22 Nov 2026 12:00:02 GMT");

        // 0.25 ms after 12:00:00: the provider's time is 1,999.75 ms away, the wait is 2,000 ms.
        Assert.Equal(TimeSpan.FromMilliseconds(2_000), RateLimitHeaders.GetRetryAfter(response, Now.AddTicks(2_500)));
    }

    [Fact]
    public async Task ARetry_NeverGoesBeforeTheProvidersTime()
    {
        // Fractional waits, the spread turned off (Randomizer 0): the only slack left is the timer's.
        var waits = new[] { "37.6", "101.3", "150.7", "64.2" };
        var clock = Stopwatch.StartNew();
        var answered = new ConcurrentDictionary<int, TimeSpan>();
        var arrived = new ConcurrentDictionary<int, TimeSpan>();
        using var server = new LoopbackServer((context, index) =>
        {
            arrived[index] = clock.Elapsed;
            if (index < waits.Length)
            {
                context.Response.StatusCode = 429;
                context.Response.AddHeader("retry-after-ms", waits[index]);
            }

            answered[index] = clock.Elapsed; // before the answer leaves: the gap measured is never longer than the client's wait
            return Task.CompletedTask;
        });
        var options = new ProviderResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(5), Randomizer = () => 0 };
        using var client = new HttpClient(new ProviderResilienceHandler(options) { InnerHandler = new HttpClientHandler() });

        using var response = await client.GetAsync(server.Url).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(waits.Length + 1, server.Requests);
        for (var i = 0; i < waits.Length; i++)
        {
            var asked = TimeSpan.FromMilliseconds(double.Parse(waits[i], CultureInfo.InvariantCulture));
            var gap = arrived[i + 1] - answered[i];
            Assert.True(gap >= asked, $"retry {i + 1} came {(asked - gap).TotalMilliseconds:0.###} ms before the provider's {asked.TotalMilliseconds} ms");
        }
    }

    [Fact]
    public async Task CallsWaitingForTheBudget_WhenA429ComesBack_WaitAtTheGate_NotSentIntoTheThrottle()
    {
        // The first call takes the whole burst and is answered 429 (Retry-After 1 s) after 200 ms; its tokens go back to
        // the budget (which refills only 250 a second), so the next waiter is let go at once. It must wait at the gate
        // for the Retry-After: no request leaves the client until 1 s after the 429 reached it.
        var wire = new WireLog { InnerHandler = new HttpClientHandler() };
        using var server = new LoopbackServer(async (context, index) =>
        {
            if (index == 0)
            {
                await Task.Delay(200);
                context.Response.StatusCode = 429;
                context.Response.AddHeader("Retry-After", "1");
            }
        });
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 250, Burst = 1_000 });
        var options = new ProviderResilienceOptions { Budget = budget, Randomizer = () => 0 };
        using var client = new HttpClient(new ProviderResilienceHandler(options, _ => 1_000) { InnerHandler = wire });

        var first = client.GetAsync(server.Url);
        await Task.Delay(50); // the first is out with the whole burst
        var responses = await Task.WhenAll(first, client.GetAsync(server.Url), client.GetAsync(server.Url)).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var throttled = wire.Throttled.Single();
        var after = wire.Sent.Where(t => t > throttled).ToList();
        Assert.Equal(3, after.Count); // the first call's retry and the two that waited
        Assert.All(after, t => Assert.True(t - throttled >= TimeSpan.FromMilliseconds(950), $"a request left {(t - throttled).TotalMilliseconds:0} ms after the 429 arrived, inside its 1 s Retry-After"));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    /// <summary>When requests left the client and when a 429 reached it, below the resilience handler.</summary>
    private sealed class WireLog : DelegatingHandler
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public ConcurrentBag<TimeSpan> Sent { get; } = new();

        public ConcurrentBag<TimeSpan> Throttled { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, System.Threading.CancellationToken cancellationToken)
        {
            Sent.Add(_clock.Elapsed);
            var response = await base.SendAsync(request, cancellationToken);
            if ((int)response.StatusCode == 429)
            {
                Throttled.Add(_clock.Elapsed);
            }

            return response;
        }
    }

    [Fact]
    public Task A429WithoutRetryAfter_WaitsForTheExhaustedLimitsReset()
        // Requests are exhausted (reset in 300 ms); tokens are not (their full reset is 6 minutes away).
        => AssertRetriedAfterAsync(
            new ProviderResilienceOptions(),
            TimeSpan.FromMilliseconds(300),
            ("x-ratelimit-remaining-requests", "0"),
            ("x-ratelimit-reset-requests", "300ms"),
            ("x-ratelimit-remaining-tokens", "5000"),
            ("x-ratelimit-reset-tokens", "6m0s"));

    [Fact]
    public Task AResetLongerThanMaxRetryAfter_IsWaitedUpToTheCap_NotGivenUp()
        => AssertRetriedAfterAsync(
            new ProviderResilienceOptions { MaxRetryAfter = TimeSpan.FromMilliseconds(250) },
            TimeSpan.FromMilliseconds(250),
            ("x-ratelimit-remaining-tokens", "0"),
            ("x-ratelimit-reset-tokens", "6m0s"));

    // One 429 with these headers and no Retry-After, then 200: the retry comes no sooner than `atLeast`, and succeeds.
    private static async Task AssertRetriedAfterAsync(ProviderResilienceOptions options, TimeSpan atLeast, params (string Name, string Value)[] headers)
    {
        var clock = Stopwatch.StartNew();
        var arrived = new ConcurrentDictionary<int, TimeSpan>();
        using var server = new LoopbackServer((context, index) =>
        {
            arrived[index] = clock.Elapsed;
            if (index == 0)
            {
                context.Response.StatusCode = 429;
                foreach (var (name, value) in headers)
                {
                    context.Response.AddHeader(name, value);
                }
            }

            return Task.CompletedTask;
        });
        options.BaseDelay = TimeSpan.FromMilliseconds(5);
        options.Randomizer = () => 0;
        using var client = new HttpClient(new ProviderResilienceHandler(options) { InnerHandler = new HttpClientHandler() });

        using var response = await client.GetAsync(server.Url).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, server.Requests);
        Assert.True(arrived[1] - arrived[0] >= atLeast, $"retried after {(arrived[1] - arrived[0]).TotalMilliseconds} ms");
    }

    [Theory]
    [InlineData(503, "false", 1, 503)] // the provider says a retry will not help: handed back at once
    [InlineData(400, "true", 2, 200)]  // the provider says retry, whatever the status
    [InlineData(503, "maybe", 2, 200)] // not a verdict: the status decides
    public async Task XShouldRetry_IsTheProvidersVerdict(int status, string shouldRetry, int expectedRequests, int expectedStatus)
    {
        using var server = new LoopbackServer((context, index) =>
        {
            if (index == 0)
            {
                context.Response.StatusCode = status;
                context.Response.AddHeader("x-should-retry", shouldRetry);
            }

            return Task.CompletedTask;
        });
        var options = new ProviderResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(5), CircuitBreaker = null };
        using var client = new HttpClient(new ProviderResilienceHandler(options) { InnerHandler = new HttpClientHandler() });

        using var response = await client.GetAsync(server.Url).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(expectedStatus, (int)response.StatusCode);
        Assert.Equal(expectedRequests, server.Requests);
    }
}
