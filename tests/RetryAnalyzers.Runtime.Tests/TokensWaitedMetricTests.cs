using System;
using System.Diagnostics.Metrics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>The tokens-waited metric counts each real wait once: not a call that found its tokens, not a cancelled wait.</summary>
public sealed class TokensWaitedMetricTests
{
    private const string Instrument = "retryanalyzers.budget.tokens_waited";

    [Fact]
    public async Task TheMetric_EqualsTheTokensThatReallyWaited_CountedOnce()
    {
        var agent = "tokens-waited-" + Guid.NewGuid().ToString("N");
        long measured = 0;
        var measurements = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == RetryMetrics.MeterName && instrument.Name == Instrument)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "agent" && Equals(tag.Value, agent))
                {
                    Interlocked.Add(ref measured, value);
                    Interlocked.Increment(ref measurements);
                }
            }
        });
        listener.Start();

        var clock = new FakeTimeProvider();
        using var budget = new TokenBudget(new TokenBudgetOptions { TokensPerSecond = 100, Burst = 1_000, InitialTokens = 0, TimeProvider = clock });
        var pipeline = ProviderPipeline.Create<string>(new ProviderResilienceOptions { Budget = budget, Metrics = new RetryMetrics(agent), TimeProvider = clock, CircuitBreaker = null });

        // 1. Waits for 500 tokens: counted once.
        var waiting = pipeline.ExecuteAsync(_ => new ValueTask<string>("ok"), 500).AsTask();
        Assert.False(waiting.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("ok", await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(500, Interlocked.Read(ref measured));
        Assert.Equal(1, measurements);
        Assert.Equal(500, budget.TokensWaitedFor);

        // 2. A wait that is cancelled took nothing and is not counted.
        using (var cancel = new CancellationTokenSource())
        {
            var cancelled = pipeline.ExecuteAsync(_ => new ValueTask<string>("never"), 300, cancel.Token).AsTask();
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(5)));
        }

        // 3. A call that finds its tokens does not wait and is not counted.
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("ok", await pipeline.ExecuteAsync(_ => new ValueTask<string>("ok"), 100));

        Assert.Equal(500, Interlocked.Read(ref measured));
        Assert.Equal(1, measurements);
        Assert.Equal(500, budget.TokensWaitedFor);
    }
}
