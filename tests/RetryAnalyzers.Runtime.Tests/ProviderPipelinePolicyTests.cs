using System;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;
using OpenAI;
using OpenAI.Chat;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>The real OpenAI SDK with <c>UseProviderResilience</c>: its retry policy is the runtime's, against loopback providers.</summary>
public sealed class ProviderPipelinePolicyTests
{
    private const string Completion =
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"sim\"," +
        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}]," +
        "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":30,\"total_tokens\":42}}";

    private static ChatClient Client(string url, ProviderResilienceOptions resilience, Func<PipelineMessage, long>? estimate = null, long? chargedTokens = null)
    {
        var options = new OpenAIClientOptions { Endpoint = new Uri(url) }.UseProviderResilience(resilience, estimate);
        if (chargedTokens is { } tokens)
        {
            options.AddPolicy(new HeaderPolicy(RateLimitedProvider.TokensHeader, tokens.ToString(CultureInfo.InvariantCulture)), PipelinePosition.PerCall);
        }

        return new ChatClient("sim", new ApiKeyCredential("sk-test-policy"), options);
    }

    private static LoopbackServer Answering(Func<int, (int Status, string? Header, string? Value)> answer) => new(async (context, index) =>
    {
        var (status, header, value) = answer(index);
        context.Response.StatusCode = status;
        if (header is not null && value is not null)
        {
            context.Response.AddHeader(header, value);
        }

        context.Response.ContentType = "application/json";
        var body = Encoding.UTF8.GetBytes(status == 200 ? Completion : "{\"error\":{\"message\":\"busy\"}}");
        await context.Response.OutputStream.WriteAsync(body);
    });

    [Fact]
    public async Task TwelveAgentsOnOneBudget_AllSucceed_WithoutA429()
    {
        // 3,000 tokens per rolling 500 ms; the budget paces at 90 % of it; every call costs 500 tokens.
        using var provider = new RateLimitedProvider(tokensPerWindow: 3_000, window: TimeSpan.FromMilliseconds(500));
        using var budget = new TokenBudget(TokenBudgetOptions.ForRollingWindow(2_700, TimeSpan.FromMilliseconds(500)));
        var metrics = new RetryMetrics("policy");
        var client = Client(provider.Url, new ProviderResilienceOptions { Budget = budget, Metrics = metrics }, _ => 500, chargedTokens: 500);

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(async () =>
        {
            ChatCompletion first = await client.CompleteChatAsync("hello");
            ChatCompletion second = await client.CompleteChatAsync("again");
            return first.Content[0].Text + second.Content[0].Text;
        }))).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(answers, text => Assert.Equal("okok", text));
        Assert.Equal(24, provider.Accepted);
        Assert.Equal(0, provider.Throttled);
        Assert.Equal(24, metrics.Calls);
        Assert.Equal(0, metrics.Retries);
    }

    [Fact]
    public async Task TwelveAgentsOnOneBudget_SpendExactlyTheUsageTheProviderReported()
    {
        // Every call is estimated at 1,000 tokens; the provider counts 300 and says so in `usage`. The clock stands
        // still, so the budget's balance shows what was spent and nothing refilled.
        using var provider = new RateLimitedProvider(tokensPerWindow: 1_000_000, window: TimeSpan.FromSeconds(60));
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 1_000, Burst = 100_000, TimeProvider = new FakeTimeProvider() });
        var client = Client(provider.Url, new ProviderResilienceOptions { Budget = budget }, _ => 1_000, chargedTokens: 300);

        await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(async () =>
        {
            await client.CompleteChatAsync("hello");
            await client.CompleteChatAsync("again");
        }))).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(24, provider.Accepted);
        Assert.Equal(0, provider.Throttled);
        Assert.Equal(100_000 - (24 * 300), budget.AvailableTokens); // 7,200 spent: the usage reported, not the 24,000 estimated
    }

    [Fact]
    public async Task TheBudgetSpendsWhatTheProviderCounted()
    {
        using var server = Answering(_ => (200, null, null));
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 1_000, Burst = 100_000, TimeProvider = new FakeTimeProvider() });
        var client = Client(server.Url, new ProviderResilienceOptions { Budget = budget }, _ => 1_000);

        ChatCompletion answer = await client.CompleteChatAsync("hello");

        Assert.Equal(42, answer.Usage.TotalTokenCount);
        Assert.Equal(100_000 - 42, budget.AvailableTokens); // estimated 1,000, reconciled to the 42 counted
    }

    [Fact]
    public async Task WithABudget_ADirectFirstAttemptThrottled_GivesItsTokensBack_AndTheRetryDrawsAndReconciles()
    {
        // The budget hands the 1,000 tokens over at once: the first attempt goes the direct way; its 429 gives them back,
        // the retry draws them again and is settled at the 42 the provider counted.
        using var server = Answering(index => index == 0 ? (429, "retry-after-ms", "20") : (200, null, null));
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 1_000, Burst = 100_000, TimeProvider = new FakeTimeProvider() });
        var client = Client(server.Url, new ProviderResilienceOptions { Budget = budget, BaseDelay = TimeSpan.FromMilliseconds(5) }, _ => 1_000);

        ChatCompletion answer = await client.CompleteChatAsync("hello");

        Assert.Equal("ok", answer.Content[0].Text);
        Assert.Equal(2, server.Requests);
        Assert.Equal(2, budget.GetStatistics()!.TotalSuccessfulLeases);
        Assert.Equal(100_000 - 42, budget.AvailableTokens);
    }

    [Fact]
    public async Task A429_IsRetriedAfterItsRetryAfter_NotOnTheSdksSchedule()
    {
        var clock = Stopwatch.StartNew();
        var arrived = new ConcurrentDictionary<int, TimeSpan>();
        using var server = Answering(index =>
        {
            arrived[index] = clock.Elapsed;
            return index == 0 ? (429, "retry-after-ms", "300") : (200, null, null);
        });
        var client = Client(server.Url, new ProviderResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(5) });

        ChatCompletion answer = await client.CompleteChatAsync("hello");

        Assert.Equal("ok", answer.Content[0].Text);
        Assert.Equal(2, server.Requests);
        Assert.True(arrived[1] - arrived[0] >= TimeSpan.FromMilliseconds(300), $"retried after {(arrived[1] - arrived[0]).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task WithoutABudget_TheSuccessPathAndTheRetriesAfterIt_CountAsOneCall()
    {
        // The first attempt goes the direct way (no budget, gate open); its 503 is judged by the pipeline, which retries.
        using var server = Answering(index => index < 2 ? (503, null, null) : (200, null, null));
        var metrics = new RetryMetrics();
        var client = Client(server.Url, new ProviderResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(5), Metrics = metrics, CircuitBreaker = null });

        ChatCompletion first = await client.CompleteChatAsync("hello");
        ChatCompletion second = await client.CompleteChatAsync("again");

        Assert.Equal("ok", first.Content[0].Text);
        Assert.Equal("ok", second.Content[0].Text);
        Assert.Equal(4, server.Requests);
        Assert.Equal(2, metrics.Calls);
        Assert.Equal(2, metrics.Retries);
        Assert.Equal(2, metrics.Served);
    }

    [Fact]
    public async Task WhileAThrottleHoldsTheGate_ACallWaits_ItDoesNotSendDirectly()
    {
        var clock = Stopwatch.StartNew();
        var arrived = new ConcurrentDictionary<int, TimeSpan>();
        using var server = Answering(index =>
        {
            arrived[index] = clock.Elapsed;
            return index == 0 ? (429, "retry-after-ms", "400") : (200, null, null);
        });
        var metrics = new RetryMetrics();
        var client = Client(server.Url, new ProviderResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(5), Metrics = metrics });

        var first = client.CompleteChatAsync("hello");
        while (metrics.RateLimited == 0)
        {
            await Task.Delay(5);
        }

        var second = client.CompleteChatAsync("later");
        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(3, server.Requests);
        Assert.All(new[] { 1, 2 }, index => Assert.True(arrived[index] - arrived[0] >= TimeSpan.FromMilliseconds(400), $"request {index} went {(arrived[index] - arrived[0]).TotalMilliseconds} ms after the 429"));
    }

    [Fact]
    public async Task XShouldRetryFalse_ReachesTheCallerAsTheSdksException_AfterOneRequest()
    {
        using var server = Answering(_ => (503, "x-should-retry", "false"));
        var client = Client(server.Url, new ProviderResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(5) });

        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync("hello"));

        Assert.Equal(503, error.Status);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task ARefusedConnection_IsRetried_AndTheCallerGetsTheSdksExceptionAtTheEnd()
    {
        var port = LoopbackServer.FreePort();
        var metrics = new RetryMetrics();
        var client = Client($"http://127.0.0.1:{port}/", new ProviderResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(5), MaxRetryAttempts = 2, CircuitBreaker = null, Metrics = metrics });

        await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync("hello"));

        Assert.Equal(2, metrics.Retries);
    }

    [Fact]
    public void TheSyncPath_Works()
    {
        using var server = Answering(index => index == 0 ? (429, "retry-after-ms", "50") : (200, null, null));
        var client = Client(server.Url, new ProviderResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(5) });

        ChatCompletion answer = client.CompleteChat("hello");

        Assert.Equal("ok", answer.Content[0].Text);
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task OneSharedPolicy_ServesEveryClient_FromOneBudget()
    {
        // What RA0003's fix writes: new OpenAIClientOptions().UseProviderResilience(SharedProviderBudget.Policy).
        using var server = Answering(_ => (200, null, null));
        var shared = SharedProviderBudget.Create(new TokenBudgetOptions { TokensPerSecond = 1_000, Burst = 100_000, TimeProvider = new FakeTimeProvider() }, null);
        using var budget = shared.Budget;
        using var http = shared.Client;
        var research = new ChatClient("research", new ApiKeyCredential("sk-test-policy"), new OpenAIClientOptions { Endpoint = new Uri(server.Url) }.UseProviderResilience(shared.Policy));
        var writer = new ChatClient("writer", new ApiKeyCredential("sk-test-policy"), new OpenAIClientOptions { Endpoint = new Uri(server.Url) }.UseProviderResilience(shared.Policy));

        ChatCompletion first = await research.CompleteChatAsync("hello");
        ChatCompletion second = await writer.CompleteChatAsync("hello");

        Assert.Equal("ok", first.Content[0].Text);
        Assert.Equal("ok", second.Content[0].Text);
        Assert.Equal(100_000 - 42 - 42, budget.AvailableTokens); // both clients spent from the one shared budget, reconciled to the usage
        Assert.Equal("policy", Assert.Throws<ArgumentNullException>(() => new OpenAIClientOptions().UseProviderResilience((ProviderPipelinePolicy)null!)).ParamName);
    }

    [Fact]
    public void BadOptions_ThrowAtConfiguration_NamingTheOption()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new OpenAIClientOptions().UseProviderResilience(new ProviderResilienceOptions { MaxRetryAttempts = -1 }));
        Assert.Contains("ProviderResilienceOptions.MaxRetryAttempts", error.Message);
    }

    private sealed class HeaderPolicy(string name, string value) : PipelinePolicy
    {
        public override void Process(PipelineMessage message, System.Collections.Generic.IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(name, value);
            ProcessNext(message, pipeline, currentIndex);
        }

        public override ValueTask ProcessAsync(PipelineMessage message, System.Collections.Generic.IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(name, value);
            return ProcessNextAsync(message, pipeline, currentIndex);
        }
    }
}
