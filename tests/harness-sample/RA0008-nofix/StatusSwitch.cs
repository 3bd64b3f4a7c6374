// Harness sample for RA0008 without a fix: consume-nupkg.sh --expect RA0008=1; format-fix.sh leaves it as it is.
// A ShouldHandle that switches over the status (not over the outcome) gets no automatic fix: adding an arm there is the user's call.
using System.Net;
using Polly;
using Polly.Retry;
using RetryAnalyzers.Runtime;

namespace HarnessSample;

public static class StatusSwitch
{
    public static RetryStrategyOptions<HttpResponseMessage> ServerErrors() => new()
    {
        ShouldHandle = args => args.Outcome.Result?.StatusCode switch { >= HttpStatusCode.InternalServerError => PredicateResult.True(), _ => PredicateResult.False() }, // RA0008
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        DelayGenerator = RetryAfterDelay.Generator(),
    };
}
