namespace RetryAnalyzers.Testing.Outages;

/// <summary>One call as its agent saw it: when it started and ended (scaled seconds from the job's start), and why it failed (null: it completed).</summary>
public readonly record struct OutageCall(double Start, double End, string? Failure)
{
    public bool Completed => Failure is null;

    public double Latency => End - Start;
}
