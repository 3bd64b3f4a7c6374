// Harness sample for RA0001: consume-nupkg.sh --expect RA0001=10 and format-fix.sh ... RA0001.
// Each "RA0001" comment marks one expected diagnostic; the other methods must stay quiet.
using System.Net;
using Polly;
using Polly.Retry;

namespace HarnessSample;

public static class PollyRetries
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    public static IAsyncPolicy V7Provider()
        => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, _ => TimeSpan.FromSeconds(1)); // RA0001

    public static ISyncPolicy V7ProviderFromField()
        => Policy.Handle<HttpRequestException>().WaitAndRetry(5, attempt => RetryDelay); // RA0001

    public static IAsyncPolicy V7Forever()
        => Policy.Handle<HttpRequestException>().WaitAndRetryForeverAsync(_ => TimeSpan.FromMilliseconds(600)); // RA0001, RA0006

    public static IAsyncPolicy V7EqualDelays()
        => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(new[] { TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2) }); // RA0001

    public static ResiliencePipeline V8ExplicitConstant()
        => new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions { BackoffType = DelayBackoffType.Constant, Delay = TimeSpan.FromSeconds(1) }) // RA0001
            .Build();

    public static ResiliencePipeline<HttpResponseMessage> V8Default()
        => new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage> { MaxRetryAttempts = 5 }) // RA0001
            .Build();

    // Quiet: growing, jittered, or driven by the server's Retry-After.
    public static IAsyncPolicy Exponential()
        => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, attempt => TimeSpan.FromSeconds(Math.Pow(2, attempt)) + TimeSpan.FromMilliseconds(Random.Shared.Next(100)));

    public static ResiliencePipeline Jittered()
        => new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential, UseJitter = true })
            .Build();

    public static IAsyncPolicy<HttpResponseMessage> RetryAfter()
        => Policy<HttpResponseMessage>
            .HandleResult(r => r.StatusCode == HttpStatusCode.TooManyRequests)
            .WaitAndRetryAsync(3, (attempt, outcome, context) => outcome.Result?.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), (outcome, delay, attempt, context) => Task.CompletedTask); // RA0006
}
