using System;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;
using RetryAnalyzers.Testing;

namespace RetryAnalyzers.Runtime.AI.Tests;

/// <summary>
/// Failover for <see cref="IChatClient"/>: Microsoft.Extensions.AI's own <see cref="OrderedFailoverChatClient"/> over
/// clients that each carry <c>UseProviderResilience</c> (own budget, retry, gate), against two loopback providers
/// through the real OpenAI adapter.
/// </summary>
public sealed class FailoverTests
{
    private static IChatClient Resilient(string url, RetryMetrics metrics)
        => new ChatClientBuilder(ChatClientMiddlewareTests.Provider(url))
            .UseProviderResilience(new ProviderResilienceOptions { Metrics = metrics, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(100) })
            .Build();

    [Fact]
    public async Task OneProviderThrottledWithALongRetryAfter_EveryCallIsServedByTheOther_NoneFails()
    {
        using var primary = ChatClientMiddlewareTests.Answering(_ => (429, "Retry-After", "3600"));
        using var secondary = ChatClientMiddlewareTests.Answering(_ => (200, null, null));
        var primaryMetrics = new RetryMetrics("agents", "openai", "sim");
        var secondaryMetrics = new RetryMetrics("agents", "azure.ai.openai", "sim");
        using var client = new OrderedFailoverChatClient([Resilient(primary.Url, primaryMetrics), Resilient(secondary.Url, secondaryMetrics)], leaveOpen: false);

        // 12 agents × 2 calls, all at once.
        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(agent => Task.Run(async () =>
        {
            var first = await client.GetResponseAsync("hello from " + agent);
            var second = await client.GetResponseAsync("again");
            return first.Text + second.Text;
        }))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(answers, text => Assert.Equal("okok", text));
        Assert.Equal(24, secondary.Requests);
        Assert.Equal(24, secondaryMetrics.Served);
        Assert.Equal(0, primaryMetrics.Served);

        // The primary was asked at most once per agent, while its 429 was not yet known; never retried into.
        Assert.InRange(primary.Requests, 1, 12);
        Assert.Equal(0, primaryMetrics.Retries);
    }

    [Fact]
    public async Task AfterItsThrottle_ThePrimaryIsRefusedWithoutARequest()
    {
        using var primary = ChatClientMiddlewareTests.Answering(_ => (429, "Retry-After", "3600"));
        using var secondary = ChatClientMiddlewareTests.Answering(_ => (200, null, null));
        var secondaryMetrics = new RetryMetrics();
        using var client = new OrderedFailoverChatClient([Resilient(primary.Url, new RetryMetrics()), Resilient(secondary.Url, secondaryMetrics)], leaveOpen: false);

        for (var i = 0; i < 3; i++)
        {
            var text = await client.GetResponseAsync("hi");
            Assert.Equal("ok", text.Text);
        }

        Assert.Equal(1, primary.Requests); // after its 429 the primary's gate refused without sending
        Assert.Equal(3, secondary.Requests);
        Assert.Equal(3, secondaryMetrics.Served);
    }
}
