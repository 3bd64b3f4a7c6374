// Harness sample for RA0002: consume-nupkg.sh --expect RA0002=10 and format-fix.sh ... RA0002.
// Each "RA0002" comment marks one expected diagnostic; the other methods must stay quiet (for RA0002).
using System.Net;
using Polly;
using Polly.Retry;

namespace HarnessSample;

public static class GrowingRetries
{
    private static readonly TimeSpan[] Steps = { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30) };

    public static IAsyncPolicy V7Exponential()
        => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(5, attempt => TimeSpan.FromSeconds(Math.Pow(2, attempt))); // RA0002

    public static ISyncPolicy V7ShiftCapped()
        => Policy.Handle<HttpRequestException>().WaitAndRetry(8, n => TimeSpan.FromMilliseconds(Math.Min(100 * (1 << n), 10_000))); // RA0002

    public static IAsyncPolicy V7Lookup()
        => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, attempt => Steps[attempt - 1]); // RA0002

    public static IAsyncPolicy V7GrowingArray()
        => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(new[] { TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4) }); // RA0002

    public static ResiliencePipeline V8Exponential()
        => new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential, Delay = TimeSpan.FromMilliseconds(500) }) // RA0002
            .Build();

    public static ResiliencePipeline<HttpResponseMessage> V8LinearNoJitter()
        => new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage> { BackoffType = DelayBackoffType.Linear, UseJitter = false }) // RA0002
            .Build();

    public static ResiliencePipeline V8Later()
    {
        var options = new RetryStrategyOptions { MaxRetryAttempts = 4 };
        options.BackoffType = DelayBackoffType.Exponential; // RA0002
        return new ResiliencePipelineBuilder().AddRetry(options).Build();
    }

    public static async Task<string> ForLoop(HttpClient http)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try { return await http.GetStringAsync("https://example.test/a"); }
            catch (HttpRequestException) { await Task.Delay(100 * (1 << attempt)); } // RA0002
        }

        throw new InvalidOperationException("gave up");
    }

    public static async Task<HttpResponseMessage> DoublingWhile(HttpClient http)
    {
        var wait = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            var response = await http.GetAsync("https://example.test/b");
            if (response.StatusCode != HttpStatusCode.TooManyRequests)
            {
                return response;
            }

            await Task.Delay(wait); // RA0002, RA0006
            wait *= 2;
        }
    }

    public static string LinearSleep(Func<string> call)
    {
        for (var i = 0; i < 4; i++)
        {
            try { return call(); }
            catch (TimeoutException) { Thread.Sleep(i * 250); } // RA0002
        }

        throw new TimeoutException();
    }

    // Quiet: jittered, constant (RA0001's), or not a retry.
    public static ResiliencePipeline V8Jittered()
        => new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions { BackoffType = DelayBackoffType.Exponential, UseJitter = true })
            .Build();

    public static IAsyncPolicy V7Jittered()
        => Policy.Handle<HttpRequestException>().WaitAndRetryAsync(3, attempt => TimeSpan.FromSeconds(Math.Pow(2, attempt)) + TimeSpan.FromMilliseconds(Random.Shared.Next(0, 250)));

    public static async Task<string> PollWithBackoff(HttpClient http)
    {
        var interval = 500;
        while (true)
        {
            var status = await http.GetStringAsync("https://example.test/job");
            if (status == "done")
            {
                return status;
            }

            await Task.Delay(interval);
            interval *= 2;
        }
    }
}
