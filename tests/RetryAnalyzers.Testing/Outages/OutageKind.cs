namespace RetryAnalyzers.Testing.Outages;

/// <summary>What the server answers while the outage lasts.</summary>
public enum OutageKind
{
    /// <summary>429 with <c>Retry-After: 1</c>: the provider throttles and says when to come back.</summary>
    Throttled,

    /// <summary>503 without Retry-After: the provider is down and says nothing.</summary>
    Unavailable,
}
