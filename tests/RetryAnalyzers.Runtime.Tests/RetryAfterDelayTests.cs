using System;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Polly;
using Polly.Retry;

namespace RetryAnalyzers.Runtime.Tests;

/// <summary>RetryAfterDelay: the provider's wait (capped, spread upwards only), else the caller's own backoff.</summary>
public sealed class RetryAfterDelayTests
{
    private static readonly TimeSpan Fallback = TimeSpan.FromMilliseconds(123);

    private static HttpResponseMessage Throttled(string? header, string? value)
    {
        var response = new HttpResponseMessage((HttpStatusCode)429);
        if (header is not null)
        {
            response.Headers.TryAddWithoutValidation(header, value);
        }

        return response;
    }

    [Theory]
    [InlineData("Retry-After", "5", 5_000)]
    [InlineData("retry-after-ms", "1500", 1_500)]
    public void Or_TakesTheHeader_NeverEarly_SpreadAtMostTenPercent(string header, string value, double expectedMs)
    {
        using var response = Throttled(header, value);
        for (var i = 0; i < 50; i++)
        {
            var wait = RetryAfterDelay.Or(response, Fallback);
            Assert.InRange(wait.TotalMilliseconds, expectedMs, expectedMs * 1.1);
        }
    }

    [Fact]
    public void Or_WithoutHeaderOrResponse_IsTheFallback()
    {
        using var response = Throttled(null, null);
        Assert.Equal(Fallback, RetryAfterDelay.Or(response, Fallback));
        Assert.Equal(Fallback, RetryAfterDelay.Or(null, Fallback));
    }

    [Fact]
    public void Or_CapsALongWait_AndTheSpreadIsAtMostOneSecond()
    {
        using var response = Throttled("Retry-After", "410400"); // 114 hours
        var wait = RetryAfterDelay.Or(response, Fallback, TimeSpan.FromSeconds(30));
        Assert.InRange(wait, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(31));
        Assert.InRange(RetryAfterDelay.Or(response, Fallback), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(61));
    }

    [Fact]
    public void NegativeCap_Throws_NamingTheParameter()
    {
        var thrown = Assert.Throws<ArgumentOutOfRangeException>(() => RetryAfterDelay.Generator(TimeSpan.FromSeconds(-1)));
        Assert.Equal("maxRetryAfter", thrown.ParamName);
        thrown = Assert.Throws<ArgumentOutOfRangeException>(() => RetryAfterDelay.Or(null, Fallback, TimeSpan.FromSeconds(-1)));
        Assert.Equal("maxRetryAfter", thrown.ParamName);
    }

    [Fact]
    public async Task Generator_InAPollyPipeline_WaitsTheHeader_ElseTheOptionsBackoff()
    {
        var generator = RetryAfterDelay.Generator();
        var context = ResilienceContextPool.Shared.Get();
        try
        {
            using var withHeader = Throttled("retry-after-ms", "200");
            var asked = await generator(new RetryDelayGeneratorArguments<HttpResponseMessage>(context, Outcome.FromResult(withHeader), 0));
            Assert.NotNull(asked);
            Assert.InRange(asked!.Value.TotalMilliseconds, 200, 220);

            using var without = Throttled(null, null);
            Assert.Null(await generator(new RetryDelayGeneratorArguments<HttpResponseMessage>(context, Outcome.FromResult(without), 0)));
            Assert.Null(await generator(new RetryDelayGeneratorArguments<HttpResponseMessage>(context, Outcome.FromException<HttpResponseMessage>(new HttpRequestException()), 0)));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        var calls = 0;
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == (HttpStatusCode)429),
                DelayGenerator = generator,
                Delay = TimeSpan.Zero,
                MaxRetryAttempts = 1,
            })
            .Build();
        using var result = await pipeline.ExecuteAsync(_ => new ValueTask<HttpResponseMessage>(++calls == 1 ? Throttled(null, null) : new HttpResponseMessage(HttpStatusCode.OK)));
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task DelayAsync_HonoursCancellation()
    {
        using var response = Throttled("Retry-After", "30");
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RetryAfterDelay.DelayAsync(response, Fallback, cancellation.Token));
        await RetryAfterDelay.DelayAsync(null, TimeSpan.Zero, CancellationToken.None);
    }
}
