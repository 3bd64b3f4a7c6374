using System;
using RetryAnalyzers.Runtime;

namespace RetryAnalyzers.Workload;

/// <summary>How the provider enforces its tokens-per-minute limit.</summary>
public enum ProviderWindow
{
    /// <summary>A token bucket: refills at limit/60 per second, holds <c>quantum</c> seconds of it; a request larger than that is admitted when the bucket is full (and leaves it in debt).</summary>
    TokenBucket,

    /// <summary>A rolling 60 s window: the tokens admitted in the last 60 s plus the request must not exceed the limit.</summary>
    Rolling60s,
}

/// <summary>The retry strategies compared.</summary>
public enum Strategy
{
    /// <summary>Each call waits (first come, first served) until the provider would admit it, read from the provider's own state: the lower bound.</summary>
    Oracle,

    /// <summary>Polly v8 retry after a fixed 1 s (what RA0001 flags), Retry-After ignored.</summary>
    FixedDelay,

    /// <summary>Polly v8 retry after 1 s · 2^n, capped at 60 s, no jitter (what RA0002 flags), Retry-After ignored.</summary>
    ExponentialNoJitter,

    /// <summary>Polly v8 retry with the runtime's jittered exponential backoff only (base 1 s, cap 60 s), Retry-After ignored.</summary>
    JitteredExponential,

    /// <summary>Microsoft.Extensions.Http.Resilience's <c>AddStandardResilienceHandler()</c> with its defaults (Polly v8 underneath).</summary>
    StandardHandler,

    /// <summary>The runtime library: <see cref="ProviderResilienceHandler"/> with one shared <see cref="TokenBudget"/>.</summary>
    RuntimeLibrary,
}

/// <summary>What the library is told about the key's limit.</summary>
public enum LimitKnowledge
{
    /// <summary>The budget is configured with the limit, in the provider's shape.</summary>
    Configured,

    /// <summary>The budget is configured with nothing (<c>new TokenBudgetOptions()</c>): it learns from the answers.</summary>
    Unknown,
}

/// <summary>A workload: agents × sequential calls of a fixed cost against one key's limit.</summary>
public sealed record Scenario(
    string Name,
    int Agents,
    int CallsPerAgent,
    long TokensPerCall,
    long LimitPerMinute,
    ProviderWindow Window,
    double QuantumSeconds = 1,
    double MedianLatencySeconds = 6,
    double LatencySigma = 0.2,
    bool RateLimitHeaders = true,
    LimitKnowledge Limit = LimitKnowledge.Configured,
    double RaiseAtSeconds = 0,
    long RaisedLimitPerMinute = 0)
{
    /// <summary>The reference case: 12 agents × 5 calls of 150k tokens on a 4M tokens/min key, 1 s quantum bucket.</summary>
    public static Scenario Reference { get; } = new("12 agents × 5 calls × 150k tokens, 4M TPM, token bucket (1 s quantum)", 12, 5, 150_000, 4_000_000, ProviderWindow.TokenBucket);

    /// <summary>The same load on a rolling 60 s window.</summary>
    public static Scenario ReferenceRolling { get; } = Reference with { Name = "12 agents × 5 calls × 150k tokens, 4M TPM, rolling 60 s window", Window = ProviderWindow.Rolling60s };

    /// <summary>Seven agents sharing one key.</summary>
    public static Scenario SevenAgents { get; } = new("7 agents × 5 calls × 150k tokens on one key, 4M TPM, token bucket (1 s quantum)", 7, 5, 150_000, 4_000_000, ProviderWindow.TokenBucket);

    /// <summary>The reference case, the library configured with nothing: it learns the limit from the answers' headers.</summary>
    public static Scenario LimitUnknown { get; } = Reference with { Name = "limit unknown: the reference case, the budget configured with nothing (learns from x-ratelimit-* headers)", Limit = LimitKnowledge.Unknown };

    /// <summary>The reference case on a provider that sends no rate-limit headers (only 429 + Retry-After), the limit unknown.</summary>
    public static Scenario NoHeaders { get; } = Reference with { Name = "no rate-limit headers: the reference case, 429 + Retry-After only, limit unknown", RateLimitHeaders = false, Limit = LimitKnowledge.Unknown };

    /// <summary>
    /// A provider without headers whose limit is doubled mid-run (1M → 2M TPM at 120 s), 24 agents × 22 calls of 15k
    /// tokens (more than either limit asks for): how soon is the raised limit used?
    /// </summary>
    public static Scenario NoHeadersRaised { get; } = new(
        "no rate-limit headers, limit doubled at 120 s: 24 agents × 22 calls × 15k tokens, 1M → 2M TPM, token bucket (1 s quantum), limit unknown",
        24, 22, 15_000, 1_000_000, ProviderWindow.TokenBucket, RateLimitHeaders: false, Limit: LimitKnowledge.Unknown, RaiseAtSeconds: 120, RaisedLimitPerMinute: 2_000_000);

    /// <summary>Every scenario of the report, in its order.</summary>
    public static Scenario[] All { get; } = { Reference, SevenAgents, ReferenceRolling, LimitUnknown, NoHeaders, NoHeadersRaised };

    /// <summary>The logical calls of the workload.</summary>
    public int Calls => Agents * CallsPerAgent;

    /// <summary>
    /// The library's shared budget for this key: with the limit configured, <paramref name="margin"/> of it in the
    /// provider's own shape (a bucket of one quantum, or a rolling window); else nothing configured.
    /// </summary>
    public TokenBudgetOptions BudgetOptions(double margin)
    {
        if (Limit == LimitKnowledge.Unknown)
        {
            return new TokenBudgetOptions();
        }

        var limit = LimitPerMinute * margin;
        return Window == ProviderWindow.TokenBucket
            ? new TokenBudgetOptions { TokensPerSecond = limit / 60, Burst = (long)(limit / 60 * QuantumSeconds) }
            : TokenBudgetOptions.ForRollingWindow((long)limit, TimeSpan.FromSeconds(60));
    }
}

/// <summary>What one strategy did on one scenario and seed.</summary>
public sealed record RunResult(Strategy Strategy, double MakespanSeconds, double P95LatencySeconds, int Attempts, int Throttled, int Calls, double RecoverySeconds = double.NaN)
{
    /// <summary>Attempts per logical call.</summary>
    public double Amplification => (double)Attempts / Calls;
}
