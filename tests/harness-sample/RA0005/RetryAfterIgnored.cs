// Harness sample for RA0005: consume-nupkg.sh --expect RA0005=5 and format-fix.sh ... RA0005 (the v7 case, which has no fix, is in RA0005-nofix).
// Each "RA0005" comment marks one expected diagnostic; the other methods must stay quiet (for RA0005).
using System.Net;
using Polly;
using Polly.Retry;
using RetryAnalyzers.Runtime;

namespace HarnessSample;

public static class RetryAfterIgnored
{
    public static ResiliencePipeline<HttpResponseMessage> ThrottledWithOwnBackoff()
        => new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage> // RA0005
            {
                ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();

    public static ResiliencePipeline<HttpResponseMessage> EveryFailure()
        => new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage> // RA0005
            {
                ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result is { IsSuccessStatusCode: false }),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();

    public static ResiliencePipeline<HttpResponseMessage> NumericStatus()
        => new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage> { UseJitter = true, BackoffType = DelayBackoffType.Linear, ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result is { } r && (int)r.StatusCode == 429) }) // RA0005
            .Build();

    // Two facts, two rules: Polly's default constant 2 s backoff (RA0001) and no Retry-After (RA0005).
    public static ResiliencePipeline<HttpResponseMessage> ConstantAndNoRetryAfter()
        => new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage> { ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests) }) // RA0001, RA0005
            .Build();

    public static IAsyncPolicy<HttpResponseMessage> V7ReadsTheOutcome()
        => Policy.HandleResult<HttpResponseMessage>(r => r.StatusCode == HttpStatusCode.TooManyRequests)
            .WaitAndRetryAsync(
                3,
                (attempt, outcome, context) => RetryAfterDelay.Or(outcome.Result, JitteredBackoff.GetDelay(attempt - 1, TimeSpan.FromSeconds(1))),
                (outcome, delay, attempt, context) => Task.CompletedTask);

    public static async Task<string> LoopOwnSchedule(HttpClient http)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var response = await http.GetAsync("https://api.example.com/v1/models");
            if (response.IsSuccessStatusCode)
            {
                return await response.Content.ReadAsStringAsync();
            }

            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await Task.Delay(JitteredBackoff.GetDelay(attempt, TimeSpan.FromSeconds(1))); // RA0005
            }
        }

        throw new InvalidOperationException("gave up");
    }

    public static async Task<string> LoopWaitsForRetryAfter(HttpClient http, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            using var response = await http.GetAsync("https://api.example.com/v1/models", cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return await response.Content.ReadAsStringAsync(cancellationToken);
            }

            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                await RetryAfterDelay.DelayAsync(response, JitteredBackoff.GetDelay(attempt, TimeSpan.FromSeconds(1)), cancellationToken);
            }
        }

        throw new InvalidOperationException("gave up");
    }

    public static ResiliencePipeline<HttpResponseMessage> WaitsForRetryAfter()
        => new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                DelayGenerator = RetryAfterDelay.Generator(),
            })
            .Build();

    public static ResiliencePipeline<HttpResponseMessage> ServerErrorsOnly()
        => new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result is { StatusCode: >= HttpStatusCode.InternalServerError }), // RA0008
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();

    public static ResiliencePipeline<HttpResponseMessage> ReadsTheHeaderItself()
        => new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = args => new ValueTask<bool>(args.Outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                DelayGenerator = args => new ValueTask<TimeSpan?>(args.Outcome.Result?.Headers.RetryAfter?.Delta is { } wait ? TimeSpan.FromSeconds(Math.Min(wait.TotalSeconds, 60)) : null),
            })
            .Build();
}
