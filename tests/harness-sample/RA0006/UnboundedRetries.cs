// Harness sample for RA0006: consume-nupkg.sh --expect RA0006=8 and format-fix.sh ... RA0006.
// Each "RA0006" comment marks one expected diagnostic; the other methods must stay quiet (for RA0006).
// A fixed-delay forever retry is also RA0001 (at its delay): two facts, two places.
using System.Diagnostics;
using Polly;
using Polly.Retry;

namespace HarnessSample;

public static class UnboundedRetries
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);

    public static IAsyncPolicy V7Forever()
        => Policy.Handle<HttpRequestException>().WaitAndRetryForeverAsync(n => TimeSpan.FromSeconds(Math.Min(Math.Pow(2, n), 30)) + TimeSpan.FromMilliseconds(Random.Shared.Next(250))); // RA0006

    public static ISyncPolicy V7FixedDelayForever()
        => Policy.Handle<HttpRequestException>().WaitAndRetryForever(_ => TimeSpan.FromSeconds(1)); // RA0001, RA0006

    public static IAsyncPolicy V7MaxValue()
        => Policy.Handle<HttpRequestException>().RetryAsync(int.MaxValue); // RA0006

    public static IAsyncPolicy V7Counted()
        => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(5, n => TimeSpan.FromSeconds(Math.Pow(2, n)) + TimeSpan.FromMilliseconds(Random.Shared.Next(250)));

    public static ResiliencePipeline V8Forever()
        => new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions { MaxRetryAttempts = int.MaxValue, BackoffType = DelayBackoffType.Exponential, UseJitter = true }) // RA0006
            .Build();

    public static ResiliencePipeline V8Finite()
        => new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions { MaxRetryAttempts = 4, BackoffType = DelayBackoffType.Exponential, UseJitter = true })
            .Build();

    public static async Task<string> EndlessLoop(HttpClient http, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return await http.GetStringAsync("https://example.test/a", ct);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 + Random.Shared.Next(800)), ct); // RA0006
            }
        }
    }

    public static async Task<string> Deadline(HttpClient http, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await http.GetStringAsync("https://example.test/c", ct);
            }
            catch (HttpRequestException) when (stopwatch.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 + Random.Shared.Next(800)), ct);
            }
        }
    }

    public static async Task HeaderWait(HttpResponseMessage response, CancellationToken ct)
        => await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), ct); // RA0006

    public static async Task HeaderWaitParsed(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.Headers.TryGetValues("retry-after-ms", out var values) && int.TryParse(values.First(), out var ms))
        {
            await Task.Delay(ms, ct); // RA0006
        }
    }

    public static IAsyncPolicy<HttpResponseMessage> V7RetryAfterProvider()
        => Policy<HttpResponseMessage>.HandleResult(r => !r.IsSuccessStatusCode).WaitAndRetryAsync(
            3,
            (attempt, outcome, context) => outcome.Result?.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(attempt * attempt + Random.Shared.NextDouble()), // RA0006
            (outcome, delay, attempt, context) => Task.CompletedTask);

    public static async Task HeaderWaitCapped(HttpResponseMessage response, CancellationToken ct)
    {
        var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
        await Task.Delay(wait > MaxWait ? MaxWait : wait, ct);
    }
}
