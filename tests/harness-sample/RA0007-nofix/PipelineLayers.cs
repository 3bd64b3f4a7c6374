// Harness sample for RA0007 sites that are reported but have no automatic fix (consume-nupkg.sh --expect RA0007=1):
// which retry layer to keep is the user's choice (see analyzers-docs/RA0007.md).
using Polly;
using Polly.Retry;

namespace HarnessSample;

public static class PipelineLayers
{
    private static RetryStrategyOptions Jittered() => new() { BackoffType = DelayBackoffType.Exponential, UseJitter = true };

    public static ResiliencePipeline Doubled() => new ResiliencePipelineBuilder()
        .AddRetry(Jittered())
        .AddTimeout(TimeSpan.FromSeconds(10))
        .AddRetry(Jittered()) // RA0007
        .Build();

    public static ResiliencePipeline Single() => new ResiliencePipelineBuilder()
        .AddRetry(Jittered())
        .AddTimeout(TimeSpan.FromSeconds(10))
        .Build();
}
