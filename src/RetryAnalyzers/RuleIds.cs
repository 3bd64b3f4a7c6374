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
}
