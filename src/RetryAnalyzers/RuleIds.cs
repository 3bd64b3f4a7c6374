namespace RetryAnalyzers;

/// <summary>The permanent diagnostic IDs. An ID is never reused or renumbered.</summary>
public static class RuleIds
{
    /// <summary>Retry with a fixed delay.</summary>
    public const string FixedDelayRetry = "RA0001";

    /// <summary>Retry whose delay grows but has no jitter.</summary>
    public const string RetryWithoutJitter = "RA0002";

    /// <summary>One API key shared across agents.</summary>
    public const string SharedApiKey = "RA0003";

    /// <summary>Unbounded parallel fan-out of provider calls.</summary>
    public const string UnboundedFanOut = "RA0004";

    /// <summary>Retry on 429 that ignores the provider's Retry-After.</summary>
    public const string RetryAfterIgnored = "RA0005";

    /// <summary>Retry with no cap on attempts or on the wait.</summary>
    public const string UnboundedRetry = "RA0006";

    /// <summary>Retry layers nested around one call.</summary>
    public const string NestedRetry = "RA0007";

    /// <summary>A retry predicate that leaves out 429 Too Many Requests.</summary>
    public const string TooManyRequestsNotRetried = "RA0008";
}
