using System;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenAI;
using OpenAI.Chat;
using Polly.CircuitBreaker;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>The real call path: HttpClient → ProviderResilienceHandler → a rate-limited provider on 127.0.0.1.</summary>
public sealed class ProviderPipelineTests
{
    private const string SecretKey = "sk-test-DO-NOT-LEAK-4f2a9c";

    private static HttpClient Client(RateLimitedProvider provider, ProviderResilienceOptions options, long tokensPerCall)
    {
        var handler = new ProviderResilienceHandler(options, _ => tokensPerCall) { InnerHandler = new HttpClientHandler() };
        var client = new HttpClient(handler) { BaseAddress = new Uri(provider.Url) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", SecretKey);
        client.DefaultRequestHeaders.Add(RateLimitedProvider.TokensHeader, tokensPerCall.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return client;
    }

    [Fact]
    public async Task SixAgentsOnASharedBudget_AllSucceed_WithoutASingle429()
    {
        // The provider admits 3,000 tokens per rolling 500 ms; the budget paces to the same limit.
        using var provider = new RateLimitedProvider(tokensPerWindow: 3_000, window: TimeSpan.FromMilliseconds(500));
        using var budget = new TokenBudget(TokenBudgetOptions.ForRollingWindow(2_700, TimeSpan.FromMilliseconds(500))); // 90 % of the limit
        var metrics = new RetryMetrics("shared-budget");
        var options = new ProviderResilienceOptions { Budget = budget, Metrics = metrics, BaseDelay = TimeSpan.FromMilliseconds(50) };
        using var client = Client(provider, options, tokensPerCall: 500);

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(agent => Task.Run(async () =>
        {
            var statuses = new HttpStatusCode[4];
            for (var call = 0; call < 4; call++)
            {
                using var response = await client.PostAsync("v1/chat/completions", new StringContent("{}"));
                statuses[call] = response.StatusCode;
            }

            return statuses;
        })));

        Assert.All(responses.SelectMany(s => s), status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(24, provider.Accepted); // no lost request
        Assert.Equal(0, provider.Throttled);
        Assert.Equal(0, metrics.Retries);
        Assert.False(metrics.IsCascading);
    }

    [Fact]
    public async Task WithoutABudget_429sAreRetriedAfterTheirRetryAfter_AndEveryCallStillSucceeds()
    {
        using var provider = new RateLimitedProvider(tokensPerWindow: 2_000, window: TimeSpan.FromMilliseconds(300));
        var metrics = new RetryMetrics("no-budget");
        var options = new ProviderResilienceOptions
        {
            Metrics = metrics,
            MaxRetryAttempts = 10,
            BaseDelay = TimeSpan.FromMilliseconds(20),
            RetryBudget = new RetryBudget(retryRatio: 1, maxCredits: 100),
            CircuitBreaker = null,
        };
        using var client = Client(provider, options, tokensPerCall: 500);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(async () =>
        {
            using var response = await client.PostAsync("v1/chat/completions", new StringContent("{}"));
            return response.StatusCode;
        })));

        Assert.All(statuses, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(12, provider.Accepted);
        Assert.True(provider.Throttled > 0, "the burst of 12 calls must have been throttled");
        Assert.Equal(provider.Throttled, metrics.RateLimited);
        Assert.Equal(provider.Throttled, metrics.Retries);
    }

    [Fact]
    public async Task TheRetryBudget_StopsRetrying_AndHandsTheFailedResponseToTheCaller()
    {
        using var server = new LoopbackServer(HttpStatusCode.ServiceUnavailable);
        var metrics = new RetryMetrics();
        var options = new ProviderResilienceOptions { RetryBudget = new RetryBudget(0.1, maxCredits: 1), Metrics = metrics, CircuitBreaker = null, BaseDelay = TimeSpan.FromMilliseconds(1) };
        using var client = new HttpClient(new ProviderResilienceHandler(options) { InnerHandler = new HttpClientHandler() });

        using var response = await client.GetAsync(server.Url);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode); // not swallowed, not an exception
        Assert.Equal(2, server.Requests); // the first attempt and the one retry the budget had
        Assert.Equal(1, metrics.RetryBudgetExhausted); // visible as an outcome
    }

    [Fact]
    public async Task ARetryAfterLongerThanMaxRetryAfter_IsNotWaitedFor()
    {
        using var server = new LoopbackServer((context, _) =>
        {
            context.Response.StatusCode = 429;
            context.Response.AddHeader("Retry-After", "3600");
            return Task.CompletedTask;
        });
        using var client = new HttpClient(new ProviderResilienceHandler(new ProviderResilienceOptions()) { InnerHandler = new HttpClientHandler() });

        using var response = await client.GetAsync(server.Url).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task CancellationWhileWaitingForTheBudget_IsHonoured_AndSendsNothing()
    {
        using var provider = new RateLimitedProvider(tokensPerWindow: 1_000_000, window: TimeSpan.FromSeconds(1));
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 1, Burst = 10, InitialTokens = 0 });
        using var client = Client(provider, new ProviderResilienceOptions { Budget = budget }, tokensPerCall: 10);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.PostAsync("v1/chat/completions", new StringContent("{}"), cancel.Token));

        Assert.Equal(0, provider.Accepted + provider.Throttled);
        Assert.Equal(0, budget.QueuedCount);
    }

    [Fact]
    public async Task TheBreaker_OpensAfterAFewFailures_ThenACallWaitsForTheProbe_InsteadOfFailing()
    {
        var clock = new FakeTimeProvider();
        var failures = 3;
        var calls = 0;
        var pipeline = ProviderPipeline.Create<string>(new ProviderResilienceOptions { MaxRetryAttempts = 0, TimeProvider = clock });

        ValueTask<string> Call(CancellationToken _)
        {
            calls++;
            return calls <= failures ? throw new HttpRequestException("503 from the provider", null, HttpStatusCode.ServiceUnavailable) : new ValueTask<string>("ok");
        }

        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => pipeline.ExecuteAsync(Call, 0).AsTask());
        }

        var waiting = pipeline.ExecuteAsync(Call, 0).AsTask();
        clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(waiting.IsCompleted); // open: the call waits, the provider is not called
        Assert.Equal(3, calls);

        clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Equal("ok", await waiting); // it went as the half-open probe, which closed the breaker
        Assert.Equal("ok", await pipeline.ExecuteAsync(Call, 0));
        Assert.Equal(5, calls);
    }

    [Fact]
    public async Task FailuresReachTheCaller_AndNoKeyAppearsInAnyException()
    {
        using var server = new LoopbackServer(HttpStatusCode.ServiceUnavailable);
        // No waiting for recovery: once the breaker is open, a call fails at once.
        var options = new ProviderResilienceOptions { MaxRetryAttempts = 2, BaseDelay = TimeSpan.FromMilliseconds(1), MaxWaitForRecovery = TimeSpan.Zero };
        using var client = new HttpClient(new ProviderResilienceHandler(options) { InnerHandler = new HttpClientHandler() });
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", SecretKey);

        var texts = new System.Collections.Generic.List<string>();
        for (var i = 0; i < 3; i++)
        {
            try
            {
                using var response = await client.GetAsync(server.Url);
                texts.Add(response.ToString());
            }
            catch (Exception e)
            {
                texts.Add(e.ToString());
            }
        }

        var broken = await Assert.ThrowsAsync<BrokenCircuitException>(() => client.GetAsync(server.Url));
        texts.Add(broken.ToString());
        Assert.All(texts, text => Assert.DoesNotContain(SecretKey, text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WorksWithHttpClientFactory()
    {
        using var provider = new RateLimitedProvider(tokensPerWindow: 10_000, window: TimeSpan.FromSeconds(1));
        var services = new ServiceCollection();
        services.AddSingleton(new ProviderResilienceOptions());
        services.AddTransient(sp => new ProviderResilienceHandler(sp.GetRequiredService<ProviderResilienceOptions>()));
        services.AddHttpClient("llm", client => client.BaseAddress = new Uri(provider.Url)).AddHttpMessageHandler<ProviderResilienceHandler>();
        using var container = services.BuildServiceProvider();

        var client = container.GetRequiredService<IHttpClientFactory>().CreateClient("llm");
        using var response = await client.PostAsync("v1/chat/completions", new StringContent("{}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, provider.Accepted);
    }

    [Fact]
    public async Task TheOpenAISdk_RunsThroughTheHandler_WithItsOwnRetriesOff()
    {
        using var provider = new RateLimitedProvider(tokensPerWindow: 1_500, window: TimeSpan.FromMilliseconds(400));
        var metrics = new RetryMetrics("openai-sdk");
        var handler = new ProviderResilienceHandler(
            new ProviderResilienceOptions { Metrics = metrics, BaseDelay = TimeSpan.FromMilliseconds(20), MaxRetryAttempts = 6, RetryBudget = new RetryBudget(1, 50) },
            _ => 1_000)
        { InnerHandler = new HttpClientHandler() };
        using var http = new HttpClient(handler);
        http.DefaultRequestHeaders.Add(RateLimitedProvider.TokensHeader, "1000");
        var chat = new ChatClient(
            "sim",
            new ApiKeyCredential(SecretKey),
            new OpenAIClientOptions
            {
                Endpoint = new Uri(provider.Url + "v1"),
                Transport = new HttpClientPipelineTransport(http),
                RetryPolicy = new ClientRetryPolicy(maxRetries: 0), // one retry layer only
            });

        var first = await chat.CompleteChatAsync(new UserChatMessage("hello"));
        var second = await chat.CompleteChatAsync(new UserChatMessage("again")); // 2,000 tokens in 400 ms: throttled, then retried

        Assert.Equal("ok", first.Value.Content[0].Text);
        Assert.Equal("ok", second.Value.Content[0].Text);
        Assert.Equal(2, provider.Accepted);
        Assert.True(metrics.RateLimited >= 1);
        Assert.Contains("Bearer " + SecretKey, provider.Credentials); // the key went to the provider, and only there
    }

    public static TheoryData<Func<ProviderResilienceOptions>, string> InvalidOptions() => new()
    {
        { () => new ProviderResilienceOptions { MaxRetryAttempts = -1 }, "ProviderResilienceOptions.MaxRetryAttempts" },
        { () => new ProviderResilienceOptions { BaseDelay = TimeSpan.Zero }, "ProviderResilienceOptions.BaseDelay" },
        { () => new ProviderResilienceOptions { BaseDelay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromSeconds(1) }, "ProviderResilienceOptions.MaxDelay" },
        { () => new ProviderResilienceOptions { MaxRetryAfter = TimeSpan.FromSeconds(-1) }, "ProviderResilienceOptions.MaxRetryAfter" },
        { () => new ProviderResilienceOptions { CircuitBreaker = new ProviderCircuitBreaker { FailureRatio = 0 } }, "ProviderCircuitBreaker.FailureRatio" },
        { () => new ProviderResilienceOptions { Randomizer = () => 1.5 }, "ProviderResilienceOptions.Randomizer" },
        { () => new ProviderResilienceOptions { AttemptTimeout = TimeSpan.Zero }, "ProviderResilienceOptions.AttemptTimeout" },
        { () => new ProviderResilienceOptions { MaxWaitForRecovery = TimeSpan.FromDays(2) }, "ProviderResilienceOptions.MaxWaitForRecovery" },
        { () => new ProviderResilienceOptions { CircuitBreaker = new ProviderCircuitBreaker { MaxBreakDuration = TimeSpan.FromSeconds(1) } }, "ProviderCircuitBreaker.MaxBreakDuration" },
        { () => new ProviderResilienceOptions { CircuitBreaker = new ProviderCircuitBreaker { MinimumThroughput = 1 } }, "ProviderCircuitBreaker.MinimumThroughput" },
        { () => new ProviderResilienceOptions { CircuitBreaker = new ProviderCircuitBreaker { BreakDuration = TimeSpan.FromMilliseconds(10) } }, "ProviderCircuitBreaker.BreakDuration" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void InvalidOptions_ThrowWhenTheHandlerIsBuilt_NamingTheOption(Func<ProviderResilienceOptions> options, string option)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ProviderResilienceHandler(options()));
        Assert.Equal(option, error.ParamName);
        Assert.Contains(option, error.Message);
        Assert.Equal(option, Assert.Throws<ArgumentOutOfRangeException>(() => ProviderPipeline.Create<string>(options())).ParamName);
    }
}
