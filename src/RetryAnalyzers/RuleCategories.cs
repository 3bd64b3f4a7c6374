namespace RetryAnalyzers;

/// <summary>Diagnostic categories used by the descriptors.</summary>
internal static class RuleCategories
{
    public const string Reliability = "Reliability";
    public const string Security = "Security";
}
