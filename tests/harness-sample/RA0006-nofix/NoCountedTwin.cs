// Harness sample for RA0006 without a fix: consume-nupkg.sh --expect RA0006=5; format-fix.sh must leave them reported.
// Each "RA0006" comment marks one expected diagnostic.
using Polly;
using Polly.Retry;

namespace HarnessSample;

public static class NoCountedTwin
{
    // Polly v7 has no Retry(int, Action<Exception>): the count is yours to pick.
    public static ISyncPolicy ForeverWithExceptionLog()
        => Policy.Handle<HttpRequestException>().RetryForever(ex => Console.WriteLine(ex.Message)); // RA0006

    // The counted onRetry takes (exception, delay, attempt, context), not (exception, attempt, delay).
    public static ISyncPolicy ForeverWithAttemptLog()
        => Policy.Handle<HttpRequestException>().WaitAndRetryForever(n => TimeSpan.FromSeconds(Math.Min(n * n, 30) + Random.Shared.NextDouble()), (ex, n, delay) => Console.WriteLine(n)); // RA0006

    // A DelayGenerator's Retry-After: no automatic cap (cap it by hand).
    public static ResiliencePipeline<HttpResponseMessage> GeneratorWithRetryAfter()
        => new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                UseJitter = true,
                DelayGenerator = args => new ValueTask<TimeSpan?>(args.Outcome.Result?.Headers.RetryAfter?.Delta), // RA0006
            })
            .Build();

    // Bounded only by the caller's token: bound it by hand (a counter or a deadline).
    public static async Task<string> CallersTokenOnly(HttpClient http, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                return await http.GetStringAsync("https://example.test/b", ct);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 + Random.Shared.Next(800)), ct); // RA0006
            }
        }

        throw new OperationCanceledException(ct);
    }

    // A wait after a failed status check: no catch to put the bound on.
    public static async Task<HttpResponseMessage> StatusLoop(HttpClient http)
    {
        while (true)
        {
            var response = await http.GetAsync("https://example.test/c");
            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500 + Random.Shared.Next(500))); // RA0006
        }
    }
}
