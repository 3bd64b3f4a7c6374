namespace RetryAnalyzers.Runtime;

/// <summary>What one attempt tells the <see cref="ProviderGate"/> about the provider.</summary>
internal enum AttemptResult
{
    /// <summary>The provider answered (any answer that is neither a throttle nor a transient failure): it is up.</summary>
    Answered,

    /// <summary>A 429, or a 503 with Retry-After: the provider is pacing us. Not a failure; it holds the gate for the wait.</summary>
    Throttled,

    /// <summary>A transient failure that is not a throttle: 5xx without Retry-After, a refused connection, an attempt timeout.</summary>
    Failed,

    /// <summary>The attempt ended without telling anything (the caller cancelled, or an exception the pipeline does not judge).</summary>
    Abandoned,
}
