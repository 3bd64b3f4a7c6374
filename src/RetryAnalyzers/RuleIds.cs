namespace RetryAnalyzers;

/// <summary>The permanent diagnostic IDs. An ID is never reused or renumbered.</summary>
public static class RuleIds
{
    /// <summary>Retry with a fixed delay.</summary>
    public const string FixedDelayRetry = "RA0001";
}
