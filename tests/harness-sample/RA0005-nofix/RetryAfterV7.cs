// Harness sample for RA0005 without a fix: consume-nupkg.sh --expect RA0005=1; format-fix.sh must leave it reported.
// Each "RA0005" comment marks one expected diagnostic.
using System.Net;
using Polly;

namespace HarnessSample;

public static class RetryAfterV7
{
    // Polly v7: the growing, unjittered schedule is RA0002; ignoring Retry-After is RA0005. Polly v7's overloads that
    // hand the sleep provider the outcome all take an onRetry too, so there is no automatic fix (RA0005.md shows the
    // hand-written RetryAfterDelay.Or(outcome.Result, …) form).
    public static IAsyncPolicy<HttpResponseMessage> V7OwnSchedule()
        => Policy.HandleResult<HttpResponseMessage>(r => r.StatusCode == HttpStatusCode.TooManyRequests)
            .WaitAndRetryAsync(3, attempt => TimeSpan.FromSeconds(Math.Pow(2, attempt))); // RA0002, RA0005
}
