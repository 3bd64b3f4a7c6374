namespace RetryAnalyzers.Testing.Outages;

/// <summary>The clients the outage matrix compares (see <see cref="OutageClient"/>).</summary>
public enum OutageStrategy
{
    /// <summary>One <c>ProviderResilienceHandler</c> shared by all agents, default options, a budget that never limits.</summary>
    RuntimeHandler,

    /// <summary><c>AddStandardResilienceHandler()</c> with its defaults, through <c>IHttpClientFactory</c>.</summary>
    StandardResilienceHandler,

    /// <summary>A Polly v8 retry: exponential with jitter, 2 s, 3 retries, Retry-After not read.</summary>
    PollyRetry,
}
