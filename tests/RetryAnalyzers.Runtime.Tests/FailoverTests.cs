using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Polly.CircuitBreaker;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>
/// <see cref="ProviderFailover{TProvider}"/> over two real loopback providers, each behind its own
/// <see cref="ProviderResilienceHandler"/> (own budget, retry, breaker): what is passed on, what is not.
/// </summary>
public sealed class FailoverTests
{
    private static HttpClient Client(string url, RetryMetrics metrics, TimeSpan? maxRetryAfter = null)
        => new(new ProviderResilienceHandler(new ProviderResilienceOptions
        {
            Metrics = metrics,
            BaseDelay = TimeSpan.FromMilliseconds(20),
            MaxDelay = TimeSpan.FromMilliseconds(100),
            MaxRetryAfter = maxRetryAfter ?? TimeSpan.FromSeconds(30),
        })
        { InnerHandler = new HttpClientHandler() })
        { BaseAddress = new Uri(url) };

    private static LoopbackServer Throttled(string retryAfterSeconds) => new((context, _) =>
    {
        context.Response.StatusCode = 429;
        context.Response.AddHeader("Retry-After", retryAfterSeconds);
        return Task.CompletedTask;
    });

    private static ValueTask<HttpResponseMessage> Get(HttpClient client, CancellationToken cancellationToken)
        => new(client.GetAsync("v1/chat/completions", cancellationToken));

    [Fact]
    public async Task AProviderThrottledForAnHour_EveryCallIsServedByTheOther_NoneFails()
    {
        using var primary = Throttled("3600");
        using var secondary = new LoopbackServer(HttpStatusCode.OK);
        var primaryMetrics = new RetryMetrics("failover-a", "openai");
        var secondaryMetrics = new RetryMetrics("failover-b", "azure.ai.openai");
        using var a = Client(primary.Url, primaryMetrics);
        using var b = Client(secondary.Url, secondaryMetrics);
        var failover = new ProviderFailover<HttpClient>([new ProviderRoute<HttpClient>(a, primaryMetrics), new ProviderRoute<HttpClient>(b, secondaryMetrics)]);

        // 12 agents × 2 calls, all at once.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(async () =>
        {
            using var first = await failover.ExecuteAsync(Get);
            using var second = await failover.ExecuteAsync(Get);
            return new[] { first.StatusCode, second.StatusCode };
        }))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(statuses.SelectMany(pair => pair), status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(24, secondary.Requests);
        Assert.Equal(24, secondaryMetrics.Served);
        Assert.Equal(0, primaryMetrics.Served);
        Assert.Equal(24, primaryMetrics.PassedOn);
        Assert.Equal(0, secondaryMetrics.PassedOn);

        // The throttled provider was asked once per call at most while nobody knew; never retried into (Retry-After 1 h > MaxRetryAfter).
        Assert.InRange(primary.Requests, 1, 12);
        Assert.Equal(0, primaryMetrics.Retries);
    }

    [Fact]
    public async Task OnceAProviderReportedItsHold_ItIsSkippedWithoutACall()
    {
        using var primary = Throttled("3600");
        using var secondary = new LoopbackServer(HttpStatusCode.OK);
        var primaryMetrics = new RetryMetrics();
        using var a = Client(primary.Url, primaryMetrics);
        using var b = Client(secondary.Url, new RetryMetrics());
        var failover = new ProviderFailover<HttpClient>([new ProviderRoute<HttpClient>(a, primaryMetrics), new ProviderRoute<HttpClient>(b)]);

        for (var i = 0; i < 5; i++)
        {
            using var response = await failover.ExecuteAsync(Get);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Call 1: the 429 (passed on); call 2: the handler's gate refuses without sending (BrokenCircuitException with
        // the hold), which the failover remembers; calls 3-5 never reach the primary's handler.
        Assert.Equal(1, primary.Requests);
        Assert.Equal(2, primaryMetrics.Calls);
        Assert.Equal(5, primaryMetrics.PassedOn);
        Assert.Equal(5, secondary.Requests);
    }

    [Fact]
    public async Task AShortRetryAfter_WithinTheAcceptedWait_IsWaitedFor_NotFailedOver()
    {
        using var primary = new LoopbackServer((context, index) =>
        {
            context.Response.StatusCode = index == 0 ? 429 : 200;
            if (index == 0)
            {
                context.Response.AddHeader("retry-after-ms", "150");
            }

            return Task.CompletedTask;
        });
        using var secondary = new LoopbackServer(HttpStatusCode.OK);
        var primaryMetrics = new RetryMetrics();
        using var a = Client(primary.Url, primaryMetrics);
        using var b = Client(secondary.Url, new RetryMetrics());
        var failover = new ProviderFailover<HttpClient>([new ProviderRoute<HttpClient>(a, primaryMetrics), new ProviderRoute<HttpClient>(b)]);

        using var response = await failover.ExecuteAsync(Get);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, primary.Requests);
        Assert.Equal(0, secondary.Requests);
        Assert.Equal(1, primaryMetrics.Served);
        Assert.Equal(0, primaryMetrics.PassedOn);
    }

    [Fact]
    public async Task ABadRequest_IsNotPassedOn()
    {
        using var primary = new LoopbackServer(HttpStatusCode.BadRequest);
        using var secondary = new LoopbackServer(HttpStatusCode.OK);
        using var a = Client(primary.Url, new RetryMetrics());
        using var b = Client(secondary.Url, new RetryMetrics());
        var failover = new ProviderFailover<HttpClient>(a, b);

        using var response = await failover.ExecuteAsync(Get);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(1, primary.Requests);
        Assert.Equal(0, secondary.Requests);
    }

    [Fact]
    public async Task WhenEveryProviderIsThrottled_TheLastOnesAnswerReachesTheCaller()
    {
        using var primary = Throttled("3600");
        using var secondary = Throttled("3600");
        using var a = Client(primary.Url, new RetryMetrics());
        using var b = Client(secondary.Url, new RetryMetrics());
        var failover = new ProviderFailover<HttpClient>(a, b);

        using var response = await failover.ExecuteAsync(Get);
        Assert.Equal((HttpStatusCode)429, response.StatusCode);

        // The next call: the last provider's own gate refuses; its exception reaches the caller unchanged.
        await Assert.ThrowsAsync<BrokenCircuitException>(async () => await failover.ExecuteAsync(Get));
        Assert.Equal(1, primary.Requests);
        Assert.Equal(1, secondary.Requests);
    }

    [Fact]
    public async Task TheCallersCancellation_IsNeverPassedOn()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var primary = new LoopbackServer(async (context, _) =>
        {
            started.TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(10));
        });
        using var secondary = new LoopbackServer(HttpStatusCode.OK);
        using var a = Client(primary.Url, new RetryMetrics());
        using var b = Client(secondary.Url, new RetryMetrics());
        var failover = new ProviderFailover<HttpClient>(a, b);
        using var cancel = new CancellationTokenSource();

        var call = failover.ExecuteAsync(Get, cancel.Token).AsTask();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Equal(0, secondary.Requests);
    }

    [Fact]
    public async Task ProviderPipelineCalls_FailOverOnTheExceptionsThePipelineGaveUpOn()
    {
        // Two pipelines (own gates), the first one's calls always fail with a transient HttpRequestException.
        var first = ProviderPipeline.Create<string>(new ProviderResilienceOptions { MaxRetryAttempts = 1, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(2) });
        var second = ProviderPipeline.Create<string>(new ProviderResilienceOptions());
        var attempts = new ConcurrentDictionary<string, int>();
        var failover = new ProviderFailover<Func<CancellationToken, ValueTask<string>>>(
            _ =>
            {
                attempts.AddOrUpdate("first", 1, (_, n) => n + 1);
                throw new HttpRequestException("connection refused");
            },
            _ => new ValueTask<string>("second"));

        var answer = await failover.ExecuteAsync((call, token) => (call == failover.Routes[0].Provider ? first : second).ExecuteAsync(call, 0, token));

        Assert.Equal("second", answer);
        Assert.Equal(2, attempts["first"]); // its own retry first (MaxRetryAttempts 1), then the failover
    }

    [Fact]
    public async Task AnExceptionThatIsNotTransient_ReachesTheCallerFromTheFirstProvider()
    {
        var failover = new ProviderFailover<string>("a", "b");
        var tried = new ConcurrentBag<string>();

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await failover.ExecuteAsync<int>((provider, _) =>
        {
            tried.Add(provider);
            throw new InvalidOperationException("a bug in the caller's code");
        }));

        Assert.Equal(["a"], tried);
    }

    [Fact]
    public void BadConfiguration_ThrowsNamingTheArgument()
    {
        Assert.Equal("routes", Assert.Throws<ArgumentException>(() => new ProviderFailover<string>(Array.Empty<ProviderRoute<string>>())).ParamName);
        Assert.Equal("routes", Assert.Throws<ArgumentException>(() => new ProviderFailover<string>("a", null!)).ParamName);
        Assert.Equal("provider", Assert.Throws<ArgumentNullException>(() => new ProviderRoute<string>(null!)).ParamName);
        Assert.Equal("call", Assert.Throws<ArgumentNullException>(() => { _ = new ProviderFailover<string>("a").ExecuteAsync<int>(null!); }).ParamName);
    }
}
