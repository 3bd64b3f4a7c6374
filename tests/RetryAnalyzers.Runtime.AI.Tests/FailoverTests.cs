using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
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

    [Fact]
    public async Task AGaveUpCall_IsLoggedThroughTheBuildersServices_WithoutItsMessageOrKey()
    {
        using var primary = ChatClientMiddlewareTests.Answering(_ => (429, "Retry-After", "3600"));
        var logs = new RecordingLoggerFactory();
        var client = new ChatClientBuilder(ChatClientMiddlewareTests.Provider(primary.Url))
            .UseProviderResilience(new ProviderResilienceOptions())
            .Build(new LoggerServices(logs));

        await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() => client.GetResponseAsync("hi"));
        await Assert.ThrowsAsync<Polly.CircuitBreaker.BrokenCircuitException>(() => client.GetResponseAsync("hi"));

        Assert.Equal(2, logs.Entries.Count);
        Assert.All(logs.Entries, entry =>
        {
            Assert.Equal(LogLevel.Warning, entry.Level);
            Assert.Equal("ProviderCallGaveUp", entry.EventName);
            Assert.DoesNotContain("sk-test-meai", entry.Message, StringComparison.Ordinal);
        });
        Assert.Contains(logs.Entries, entry => entry.Message.Contains("ClientResultException (status 429)", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, entry => entry.Message.Contains("BrokenCircuitException", StringComparison.Ordinal));

        // Without a logger factory among the services, nothing is logged and nothing fails.
        var quiet = new ChatClientBuilder(ChatClientMiddlewareTests.Provider(primary.Url)).UseProviderResilience(new ProviderResilienceOptions()).Build();
        await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() => quiet.GetResponseAsync("hi"));
    }

    private sealed class LoggerServices(ILoggerFactory factory) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(ILoggerFactory) ? factory : null;
    }

    private sealed class RecordingLoggerFactory : ILoggerFactory, ILogger
    {
        public ConcurrentQueue<(LogLevel Level, string? EventName, string Message)> Entries { get; } = new();

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => Entries.Enqueue((logLevel, eventId.Name, formatter(state, exception)));
    }
}
