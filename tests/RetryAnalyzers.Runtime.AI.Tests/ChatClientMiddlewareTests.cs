using System;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using OpenAI;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Runtime.AI.Tests;

/// <summary>
/// <c>ChatClientBuilder.UseProviderResilience</c> over Microsoft.Extensions.AI's real OpenAI adapter, against loopback
/// providers: budget at the provider's limit, spend reconciled to the reported usage, Retry-After honoured (never early),
/// what is not retryable passed through, cancellation, streaming usage.
/// </summary>
public sealed class ChatClientMiddlewareTests
{
    private const string Completion =
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"sim\"," +
        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}]," +
        "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":30,\"total_tokens\":42}}";

    // The provider client as users build it, with the SDK's own retries off: the middleware is the one retry layer.
    internal static IChatClient Provider(string url, long? chargedTokens = null)
    {
        var options = new OpenAIClientOptions { Endpoint = new Uri(url), RetryPolicy = new ClientRetryPolicy(maxRetries: 0) };
        if (chargedTokens is { } tokens)
        {
            options.AddPolicy(new HeaderPolicy(RateLimitedProvider.TokensHeader, tokens.ToString(CultureInfo.InvariantCulture)), PipelinePosition.PerCall);
        }

        return new OpenAI.Chat.ChatClient("sim", new ApiKeyCredential("sk-test-meai"), options).AsIChatClient();
    }

    internal static LoopbackServer Answering(Func<int, (int Status, string? Header, string? Value)> answer, string body = Completion) => new(async (context, index) =>
    {
        var (status, header, value) = answer(index);
        context.Response.StatusCode = status;
        if (header is not null && value is not null)
        {
            context.Response.AddHeader(header, value);
        }

        context.Response.ContentType = "application/json";
        await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(status == 200 ? body : "{\"error\":{\"message\":\"no\"}}"));
    });

    [Fact]
    public async Task TwelveAgentsOnOneBudget_AtTheProvidersLimit_MakeNo429()
    {
        // 3,000 tokens per rolling 500 ms; the budget paces at 90 % of it; every call costs 500 tokens.
        using var provider = new RateLimitedProvider(tokensPerWindow: 3_000, window: TimeSpan.FromMilliseconds(500));
        using var budget = new TokenBudget(TokenBudgetOptions.ForRollingWindow(2_700, TimeSpan.FromMilliseconds(500)));
        var metrics = new RetryMetrics("meai-" + Guid.NewGuid().ToString("N"));
        var client = new ChatClientBuilder(Provider(provider.Url, chargedTokens: 500))
            .UseProviderResilience(new ProviderResilienceOptions { Budget = budget, Metrics = metrics }, (_, _) => 500)
            .Build();

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(agent => Task.Run(async () =>
        {
            var first = await client.GetResponseAsync("hello from " + agent);
            var second = await client.GetResponseAsync("again");
            return first.Text + second.Text;
        }))).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(answers, text => Assert.Equal("okok", text));
        Assert.Equal(24, provider.Accepted);
        Assert.Equal(0, provider.Throttled);
        Assert.Equal(0, metrics.Retries);
    }

    [Fact]
    public async Task TwelveAgentsOnOneBudget_SpendExactlyTheUsageTheProviderReported()
    {
        // Estimated at 1,000 tokens a call; the provider counts 300. The clock stands still: the balance shows the spend.
        using var provider = new RateLimitedProvider(tokensPerWindow: 1_000_000, window: TimeSpan.FromSeconds(60));
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 1_000, Burst = 100_000, TimeProvider = new FakeTimeProvider() });
        var client = new ChatClientBuilder(Provider(provider.Url, chargedTokens: 300))
            .UseProviderResilience(new ProviderResilienceOptions { Budget = budget }, (_, _) => 1_000)
            .Build();

        await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(async () =>
        {
            await client.GetResponseAsync("hello");
            await client.GetResponseAsync("again");
        }))).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(24, provider.Accepted);
        Assert.Equal(0, provider.Throttled);
        Assert.Equal(100_000 - (24 * 300), budget.AvailableTokens);
    }

    [Fact]
    public async Task A429_IsRetriedAfterItsRetryAfter_NeverEarly()
    {
        var clock = Stopwatch.StartNew();
        var arrived = new ConcurrentDictionary<int, TimeSpan>();
        using var server = Answering(index =>
        {
            arrived[index] = clock.Elapsed;
            return index == 0 ? (429, "retry-after-ms", "300") : (200, null, null);
        });
        var client = new ChatClientBuilder(Provider(server.Url))
            .UseProviderResilience(new ProviderResilienceOptions { BaseDelay = TimeSpan.FromMilliseconds(5) })
            .Build();

        var answer = await client.GetResponseAsync("hello");

        Assert.Equal("ok", answer.Text);
        Assert.Equal(2, arrived.Count);
        Assert.True(arrived[1] - arrived[0] >= TimeSpan.FromMilliseconds(300), $"retried after {(arrived[1] - arrived[0]).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task ABadRequest_ReachesTheCallerUnchanged_AfterOneRequest()
    {
        using var server = Answering(_ => (400, null, null));
        var client = new ChatClientBuilder(Provider(server.Url)).UseProviderResilience(new ProviderResilienceOptions()).Build();

        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync("hello"));

        Assert.Equal(400, error.Status);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task TheCallersCancellation_IsNotRetried()
    {
        using var server = Answering(_ => (503, "retry-after-ms", "5000"));
        var client = new ChatClientBuilder(Provider(server.Url)).UseProviderResilience(new ProviderResilienceOptions()).Build();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync("hello", cancellationToken: cancel.Token));

        Assert.Equal(1, server.Requests); // cancelled while waiting for the Retry-After: nothing more was sent
    }

    [Fact]
    public async Task AStreamedAnswer_ReconcilesFromItsFinalUsage()
    {
        const string Chunk = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"sim\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":null}]}";
        const string Usage = "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"sim\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":20,\"total_tokens\":30}}";
        using var server = new LoopbackServer(async (context, _) =>
        {
            context.Response.ContentType = "text/event-stream";
            foreach (var data in new[] { Chunk, Usage, "[DONE]" })
            {
                await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes("data: " + data + "\n\n"));
            }
        });
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 1_000, Burst = 100_000, TimeProvider = new FakeTimeProvider() });
        var client = new ChatClientBuilder(Provider(server.Url))
            .UseProviderResilience(new ProviderResilienceOptions { Budget = budget }, (_, _) => 1_000)
            .Build();

        var text = new StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync("hello"))
        {
            text.Append(update.Text);
            Assert.Equal(100_000 - 1_000, budget.AvailableTokens); // while streaming: the estimate
        }

        Assert.Equal("ok", text.ToString());
        Assert.Equal(100_000 - 30, budget.AvailableTokens);
    }

    [Fact]
    public void BadOptions_ThrowAtConfiguration_NamingTheOption()
    {
        var builder = new ChatClientBuilder(Provider("http://127.0.0.1:9/")).UseProviderResilience(new ProviderResilienceOptions { MaxRetryAttempts = -1 });

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => builder.Build());

        Assert.Contains("ProviderResilienceOptions.MaxRetryAttempts", error.Message);
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => new ChatClientBuilder(Provider("http://127.0.0.1:9/")).UseProviderResilience(null!)).ParamName);
    }

    private sealed class HeaderPolicy(string name, string value) : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(name, value);
            ProcessNext(message, pipeline, currentIndex);
        }

        public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(name, value);
            return ProcessNextAsync(message, pipeline, currentIndex);
        }
    }
}
