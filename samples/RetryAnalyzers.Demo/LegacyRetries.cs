using Polly;
using Polly.Retry;

namespace RetryAnalyzers.Demo;

/// <summary>What RA0001 catches: kept here on purpose so the demo's build prints the warnings.</summary>
internal static class LegacyRetries
{
    // RA0001: Polly's default RetryStrategyOptions wait a constant 2 s, without jitter.
    public static ResiliencePipeline<HttpResponseMessage> Default()
        => new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry(new RetryStrategyOptions<HttpResponseMessage>()).Build();

    // RA0001: a hand-written loop that waits 1 s after every failure.
    public static async Task<string> LoopAsync(HttpClient http, string url)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                return await http.GetStringAsync(url);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(1000);
            }
        }

        throw new InvalidOperationException("gave up");
    }
}
