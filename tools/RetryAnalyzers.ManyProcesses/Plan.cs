using System;
using System.Globalization;

namespace RetryAnalyzers.ManyProcesses;

/// <summary>The run's shape: processes × agents × calls of a fixed cost, against a key limited to a token bucket.</summary>
/// <param name="BudgetBurst">
/// The budget's burst: below the provider's, so the provider keeps <c>Burst − BudgetBurst</c> tokens in reserve for
/// requests that arrive closer together than they were admitted (scheduling and network jitter), as a user leaves
/// headroom under a documented limit. The rate is the provider's.
/// </param>
public sealed record Plan(int Processes, int AgentsPerProcess, int CallsPerAgent, long TokensPerCall, double TokensPerSecond, long Burst, long BudgetBurst, TimeSpan Latency)
{
    /// <summary>4 processes × 3 agents × 25 calls × 40 tokens on 1,000 tokens/s with a 1 s burst: an oracle of about 11 s.</summary>
    public static Plan Reference { get; } = new(4, 3, 25, 40, 1_000, 1_000, 600, TimeSpan.FromMilliseconds(20));

    public long TotalTokens => (long)Processes * AgentsPerProcess * CallsPerAgent * TokensPerCall;

    public int TotalCalls => Processes * AgentsPerProcess * CallsPerAgent;

    /// <summary>The earliest the provider can have admitted every call (a full bucket, then the refill), plus one call's latency.</summary>
    public TimeSpan Oracle => TimeSpan.FromSeconds(Math.Max(0, (TotalTokens - Burst) / TokensPerSecond)) + Latency;

    public static Plan Parse(string text)
    {
        var p = text.Split(',');
        return new Plan(
            int.Parse(p[0], CultureInfo.InvariantCulture),
            int.Parse(p[1], CultureInfo.InvariantCulture),
            int.Parse(p[2], CultureInfo.InvariantCulture),
            long.Parse(p[3], CultureInfo.InvariantCulture),
            double.Parse(p[4], CultureInfo.InvariantCulture),
            long.Parse(p[5], CultureInfo.InvariantCulture),
            long.Parse(p[6], CultureInfo.InvariantCulture),
            TimeSpan.FromMilliseconds(double.Parse(p[7], CultureInfo.InvariantCulture)));
    }

    public override string ToString()
        => FormattableString.Invariant($"{Processes},{AgentsPerProcess},{CallsPerAgent},{TokensPerCall},{TokensPerSecond},{Burst},{BudgetBurst},{Latency.TotalMilliseconds}");
}
